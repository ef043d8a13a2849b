"""The assistant in Telegram: what an update says and what to answer. The answer goes back in
the webhook's own response (Telegram's "reply to the webhook with a method call"), so Navio
needs no bot token and makes no outbound call. No I/O.

Commands: `/start CODE` links the chat to the traveler who asked Navio for the code,
`/new` begins a fresh conversation, `/stop` unlinks the chat; anything else is a message to
the assistant, in the chat's current conversation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's limit for one message
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get typed
CODE_LENGTH = 10


@dataclass(frozen=True, slots=True)
class Inbound:
    update_id: int
    chat_id: int
    private: bool
    text: str | None


def inbound(update: Any) -> Inbound | None:
    """The parts of an update the assistant reads; None for what is not a message (an edit, a
    reaction, a member joining...)."""
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return None
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None
    chat = message["chat"]
    if not isinstance(chat.get("id"), int):
        return None
    text = message.get("text")
    return Inbound(
        update_id=update["update_id"],
        chat_id=chat["id"],
        private=chat.get("type") == "private",
        text=text if isinstance(text, str) else None,
    )


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # start | new | stop | "" (a plain message)
    argument: str


def command(text: str) -> Command:
    """`/start CODE`, `/start@NavioBot CODE` -> ("start", "CODE"); plain text -> ("", text)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return Command("", stripped)
    head, _, rest = stripped[1:].partition(" ")
    return Command(head.split("@", 1)[0].lower(), rest.strip())


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def reply(chat_id: int, text: str) -> dict[str, Any]:
    """The webhook's answer: Telegram sends this message to the chat."""
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return {"method": "sendMessage", "chat_id": chat_id, "text": text}


HOW_TO_LINK = (
    "Hello! I plan journeys for Navio travelers. To talk to me here, open Navio, choose "
    '"Talk to the assistant in Telegram" and follow the link it gives you.'
)
PRIVATE_ONLY = "I only plan journeys in private chats: write to me directly."
EXPIRED = "That link has expired or was used already. Ask Navio for a new one."
NOT_TEXT = "I read text messages only."
COMMANDS = "/new starts a new conversation, /stop unlinks this chat; anything else, just write it."

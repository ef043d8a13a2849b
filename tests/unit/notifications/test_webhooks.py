"""Webhook rules: the signature is the spec's (checked by hand and by the reference library),
the body is the exact text signed, and the URLs and addresses Navio refuses to send to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from navio.notifications import webhooks
from navio.notifications.delivery import WebhookSender, _check_resolved, pinned
from tests.factories.webhooks import receiver


def test_the_signature_is_the_specs() -> None:
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    at = datetime.now(UTC)
    text = webhooks.body("e1", "stations.fault_reported", at, {"owner_id": "o", "n": 1})
    assert json.loads(text) == {
        "id": "e1",
        "type": "stations.fault_reported",
        "occurred_at": at.isoformat(),
        "data": {"owner_id": "o", "n": 1},
    }
    sent = webhooks.headers("msg_1", at, text, [secret])
    key = base64.b64decode(secret[6:])
    signed = f"msg_1.{int(at.timestamp())}.{text}".encode()
    mac = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert sent["webhook-signature"] == f"v1,{mac}"
    assert Webhook(secret).verify(text, sent)["type"] == "stations.fault_reported"
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(text, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(text.replace('"n":1', '"n":2'), sent)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert webhooks.public_address(address) is public


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https:///x",
        "https://127.0.0.1/x",
        "https://[fe80::1]/x",
        "https://localhost/x",
        "https://api.localhost/x",
        "https://nas.local/x",
        "https://metadata.google.internal/x",
        "https://user:pw@hooks.example.com/x",
        "https://hooks.example.com:99999/x",
        "https://hooks.example.com/x#part",
        "javascript:alert(1)",
    ],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(webhooks.TargetRefused):
        webhooks.check_url(url, allow_local=False)


def test_allowed_urls() -> None:
    assert webhooks.check_url("https://hooks.example.com/navio?a=1", False)
    assert webhooks.check_url("https://93.184.216.34:8443/x", False)
    # development: plain http and local addresses
    assert webhooks.check_url("http://127.0.0.1:8080/hook", True)
    with pytest.raises(webhooks.TargetRefused):
        webhooks.check_url("ftp://127.0.0.1/hook", True)


async def test_a_name_resolving_inside_is_refused_when_sending() -> None:
    with pytest.raises(webhooks.TargetRefused, match="private address"):
        await _check_resolved("https://localhost:8443/x")


@pytest.mark.parametrize(
    ("url", "address", "expected"),
    [
        (
            "https://hooks.example.com/navio?a=1",
            "93.184.216.34",
            ("https://93.184.216.34/navio?a=1", "hooks.example.com", "hooks.example.com"),
        ),
        (
            "https://hooks.example.com:8443/x",
            "2606:2800:220:1:248:1893:25c8:1946",
            (
                "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/x",
                "hooks.example.com:8443",
                "hooks.example.com",
            ),
        ),
        (
            "http://hooks.example.com/x",
            "93.184.216.34",
            ("http://93.184.216.34/x", "hooks.example.com", None),
        ),
    ],
)
def test_a_delivery_goes_to_the_address_that_was_checked(
    url: str, address: str, expected: tuple[str, str, str | None]
) -> None:
    assert pinned(url, address) == expected


async def test_the_name_is_not_resolved_again_for_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name that answers the check once and never again (`.invalid` never resolves in DNS,
    RFC 6761; a rebinding name would answer another address the second time): the delivery
    still arrives, so the connection went to the address that was checked, with the name in
    the Host header."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def resolver(host: str, port: int, *args: object, **kwargs: object) -> object:
        if host == "receiver.invalid":
            asked.append(host)
            if len(asked) > 1:
                raise socket.gaierror(socket.EAI_NONAME, "asked again")
            return real("127.0.0.1", port, *args, **kwargs)  # type: ignore[arg-type]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    # this machine's loopback receiver stands for a public address
    monkeypatch.setattr(webhooks, "public_address", lambda address: address == "127.0.0.1")
    sender = WebhookSender(timeout_seconds=5, max_attempts=3, allow_local=False)
    with receiver() as hook:
        port = urlsplit(hook.url).port
        url = f"http://receiver.invalid:{port}/navio"
        async with httpx.AsyncClient(timeout=5) as client:
            outcome = await sender._post(
                client, uuid.uuid4(), url, '{"a":1}', [webhooks.new_secret()], datetime.now(UTC)
            )
    assert outcome.error is None and outcome.status == 200
    assert asked == ["receiver.invalid"]  # once, for the check
    (got,) = hook.received
    assert got.headers["host"] == f"receiver.invalid:{port}"
    assert got.path == "/navio" and got.body == b'{"a":1}'

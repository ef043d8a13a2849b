"""Webhook rules: the signature is the spec's (checked by hand and by the reference library),
the body is the exact text signed, and the URLs and addresses Navio refuses to send to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from navio.notifications import webhooks
from navio.notifications.delivery import _check_resolved


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

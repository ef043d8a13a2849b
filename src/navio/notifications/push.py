"""Web Push (RFC 8030) with VAPID (RFC 8292) and message encryption (RFC 8291, aes128gcm):
what a browser or app needs to receive Navio's notices while no page of it is open. No I/O.

The application server key is derived from NAVIO_SECRET_KEY (HKDF-SHA256 to a P-256 scalar), so
every process signs with the same key without another setting, and subscriptions made against it
keep working across restarts; rotating the secret asks every client to subscribe again.
"""

from __future__ import annotations

import base64
import functools
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

import http_ece
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# the order of P-256's base point: a private scalar lies in [1, N - 1]
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
TOKEN_LIFETIME = timedelta(hours=12)  # RFC 8292: at most 24 hours
TTL_SECONDS = 86_400  # how long the push service keeps a message for an offline device


class InvalidSubscription(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vapid_key(secret: str) -> ec.EllipticCurvePrivateKey:
    seed = HKDF(
        algorithm=hashes.SHA256(), length=48, salt=None, info=b"navio web push vapid key"
    ).derive(secret.encode())
    scalar = int.from_bytes(seed, "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


@functools.cache
def application_server_key(secret: str) -> str:
    return public_key(vapid_key(secret))


def push_subject(mail_from: str) -> str:
    """VAPID's `sub`: how a push service reaches the sender (the address Navio mails from)."""
    return f"mailto:{parseaddr(mail_from)[1]}"


def public_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The application server key as browsers take it (`applicationServerKey`): the
    uncompressed point, base64url."""
    raw = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url(raw)


def authorization(
    endpoint: str, key: ec.EllipticCurvePrivateKey, subject: str, now: datetime
) -> str:
    """The VAPID `Authorization` header for a push to `endpoint`: an ES256 JWT whose audience
    is the push service's origin, with the public key beside it."""
    parts = urlsplit(endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int((now + TOKEN_LIFETIME).timestamp()),
        "sub": subject,
    }
    token = jwt.encode(claims, key, algorithm="ES256")
    return f"vapid t={token}, k={public_key(key)}"


def check_keys(p256dh: str, auth: str) -> None:
    """A subscription's keys as the Push API gives them: a P-256 point and 16 bytes."""
    try:
        point = unb64url(p256dh)
        secret = unb64url(auth)
    except ValueError as exc:
        raise InvalidSubscription("the keys are not base64url") from exc
    if len(secret) != 16:
        raise InvalidSubscription("keys.auth is 16 bytes")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise InvalidSubscription("keys.p256dh is not a P-256 public key") from exc
    if len(point) != 65:
        raise InvalidSubscription("keys.p256dh is an uncompressed point (65 bytes)")


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The message for one subscription (aes128gcm with a fresh sender key; only the
    subscriber's private key and auth secret open it)."""
    sender = ec.generate_private_key(ec.SECP256R1())
    sealed: bytes = http_ece.encrypt(
        payload,
        private_key=sender,
        dh=unb64url(p256dh),
        auth_secret=unb64url(auth),
        version="aes128gcm",
    )
    return sealed

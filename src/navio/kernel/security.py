"""Security primitives: Argon2id passwords, JWT with key ids, opaque tokens, sealed secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread
import jwt
from argon2 import PasswordHasher as _Argon2
from argon2 import Type as _Argon2Type
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

JWT_ALGORITHM = "HS256"


class PasswordHasher:
    """Argon2id with parameters at or above OWASP's minimum (m=19 MiB, t=2, p=1)."""

    def __init__(self, *, time_cost: int = 2, memory_kib: int = 19_456, parallelism: int = 1):
        self._hasher = _Argon2(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=_Argon2Type.ID,
        )
        self._capacity: anyio.CapacityLimiter | None = None
        # Verified against when the account does not exist, so timing does not reveal it.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    async def hash_async(self, password: str) -> str:
        """Argon2 costs ~25 ms of CPU: run it off the event loop so other requests proceed."""
        return await anyio.to_thread.run_sync(self.hash, password, limiter=self._limiter())

    async def verify_async(self, stored_hash: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(
            self.verify, stored_hash, password, limiter=self._limiter()
        )

    def _limiter(self) -> anyio.CapacityLimiter:
        # Each hash holds 19 MiB: bound concurrent hashes by the cores that can run them.
        if self._capacity is None:
            self._capacity = anyio.CapacityLimiter(max(2, os.cpu_count() or 2))
        return self._capacity

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


class TokenError(Exception):
    """A token that must not be trusted; the message says why (never the token)."""


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    jti: str
    purpose: str
    issued_at: datetime
    expires_at: datetime
    extra: dict[str, Any]


class JwtCodec:
    """HS256 JWTs carrying a `kid`: sign with the active key, verify with any configured key."""

    def __init__(
        self, active_kid: str, keys: dict[str, str], issuer: str, *, memo_size: int = 50_000
    ) -> None:
        if active_kid not in keys:
            raise ValueError("active kid must be one of the keys")
        self._active = active_kid
        self._keys = dict(keys)
        self._issuer = issuer
        # Verified tokens, by their exact text: a client sends the same token many times, and
        # the keys are fixed for the life of the process. Expiry is still checked on every hit.
        self._memo: OrderedDict[str, TokenClaims] = OrderedDict()
        self._memo_size = memo_size

    def encode(
        self,
        subject: str,
        purpose: str,
        ttl: timedelta,
        *,
        now: datetime | None = None,
        **extra: Any,
    ) -> tuple[str, TokenClaims]:
        issued = (now or datetime.now(UTC)).replace(microsecond=0)
        expires = issued + ttl
        jti = uuid.uuid4().hex
        payload = {
            "sub": subject,
            "iss": self._issuer,
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": jti,
            "typ": purpose,
            **extra,
        }
        token = jwt.encode(
            payload,
            self._keys[self._active],
            algorithm=JWT_ALGORITHM,
            headers={"kid": self._active},
        )
        return token, TokenClaims(subject, jti, purpose, issued, expires, extra)

    def decode(self, token: str, purpose: str) -> TokenClaims:
        claims = self._memo.get(token)
        if claims is None:
            claims = self._verify(token)
            self._memo[token] = claims
            if len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
        if claims.expires_at <= datetime.now(UTC):
            self._memo.pop(token, None)
            raise TokenError("token expired")
        if claims.purpose != purpose:
            raise TokenError("wrong token type")
        return claims

    def _verify(self, token: str) -> TokenClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("malformed token") from exc
        if header.get("alg") != JWT_ALGORITHM:
            raise TokenError("unsupported signing algorithm")
        key = self._keys.get(str(header.get("kid")))
        if key is None:
            raise TokenError("unknown key id")
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[JWT_ALGORITHM],
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "jti", "typ", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token expired") from exc
        except jwt.PyJWTError as exc:
            raise TokenError("invalid token") from exc
        extra = {
            k: v
            for k, v in payload.items()
            if k not in {"sub", "iss", "iat", "nbf", "exp", "jti", "typ"}
        }
        return TokenClaims(
            subject=str(payload["sub"]),
            jti=str(payload["jti"]),
            purpose=str(payload["typ"]),
            issued_at=datetime.fromtimestamp(payload["iat"], UTC),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
            extra=extra,
        )


def new_opaque_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """Stored form of an opaque token: high-entropy input, so a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class SecretBox:
    """AES-256-GCM for secrets we must read back (TOTP seeds); key derived from the app secret."""

    def __init__(self, master_secret: str, purpose: str) -> None:
        key = hashlib.sha256(f"navio:{purpose}:".encode() + master_secret.encode()).digest()
        self._aead = AESGCM(key)
        self._aad = purpose.encode()

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self._aad)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> str:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return self._aead.decrypt(raw[:12], raw[12:], self._aad).decode()


class Signer:
    """HMAC-SHA256 signatures over small payloads (invitation links, tickets): the payload
    travels in the token, readable but not forgeable; a key derived per purpose keeps a token
    made for one use from passing as another."""

    def __init__(self, master_secret: str, purpose: str) -> None:
        self._secret = hashlib.sha256(
            f"navio:sign:{purpose}:".encode() + master_secret.encode()
        ).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()

    def sign(self, payload: bytes) -> str:
        encode = base64.urlsafe_b64encode
        body = encode(payload).decode().rstrip("=")
        return body + "." + encode(self._mac(payload)).decode().rstrip("=")

    def unsign(self, token: str) -> bytes:
        body, dot, mac = token.partition(".")
        if not dot or not body or not mac:
            raise TokenError("malformed signed token")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        except (ValueError, TypeError) as exc:
            raise TokenError("malformed signed token") from exc
        if not hmac.compare_digest(given, self._mac(payload)):
            raise TokenError("bad signature")
        return payload

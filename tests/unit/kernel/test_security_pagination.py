from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from navio.kernel.pagination import Cursor, InvalidCursor
from navio.kernel.security import JwtCodec, PasswordHasher, SecretBox, TokenError, token_digest


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    st.uuids(),
)
def test_cursor_round_trip(at: datetime, ident: uuid.UUID) -> None:
    cursor = Cursor(at, ident)
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("value", ["", "!!", "bm90IGpzb24", "WyJ4IiwgInkiXQ"])
def test_bad_cursors(value: str) -> None:
    with pytest.raises(InvalidCursor):
        Cursor.decode(value)


def test_password_hasher() -> None:
    hasher = PasswordHasher()
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify(stored, "correct horse battery")
    assert not hasher.verify(stored, "correct horse batterY")
    assert not hasher.verify(None, "anything")
    assert not hasher.verify("not-a-hash", "anything")
    assert not hasher.needs_rehash(stored)
    assert PasswordHasher(time_cost=3).verify(stored, "correct horse battery")
    assert PasswordHasher(time_cost=3).needs_rehash(stored)


def test_jwt_codec_rotation_and_purpose() -> None:
    old = JwtCodec("a", {"a": "k" * 40}, "navio")
    both = JwtCodec("b", {"a": "k" * 40, "b": "q" * 40}, "navio")
    token, claims = old.encode("user-1", "access", timedelta(minutes=5), roles=["traveler"])
    decoded = both.decode(token, "access")
    assert decoded.subject == "user-1" and decoded.jti == claims.jti
    assert decoded.extra == {"roles": ["traveler"]}
    with pytest.raises(TokenError, match="wrong token type"):
        both.decode(token, "mfa")
    new_token, _ = both.encode("user-1", "access", timedelta(minutes=5))
    with pytest.raises(TokenError, match="unknown key id"):
        old.decode(new_token, "access")
    with pytest.raises(ValueError, match="active kid"):
        JwtCodec("z", {"a": "k" * 40}, "navio")


def test_secret_box() -> None:
    box = SecretBox("master-secret", "totp")
    sealed = box.seal("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed) == "JBSWY3DPEHPK3PXP"
    assert box.seal("x") != box.seal("x")  # random nonce
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure: wrong purpose key
        SecretBox("master-secret", "other").open(sealed)


def test_token_digest_is_stable_hex() -> None:
    assert token_digest("abc") == token_digest("abc")
    assert len(token_digest("abc")) == 64 and token_digest("abc") != token_digest("abd")

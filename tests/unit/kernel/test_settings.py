"""Settings: unknown NAVIO_ variables are refused, secrets and URLs are checked at start."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr, ValidationError

from navio.settings import (
    DEV_SECRET,
    Environment,
    Settings,
    UnknownSettingError,
    known_variables,
    load_settings,
)

GOOD_SECRET = "a-real-secret-of-at-least-32-characters!"
GOOD_KEY = "jwt-key-material-0123456789-abcdefghij"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings() reads os.environ: start every test without NAVIO_ variables."""
    for name in list(os.environ):
        if name.upper().startswith("NAVIO_"):
            monkeypatch.delenv(name)


# ---------------------------------------------------------------- unknown variables


@pytest.mark.parametrize(
    "name",
    [
        "NAVIO_DATABSE_URL",  # typo
        "NAVIO_NOPE",
        "navio_secret",  # case-insensitive prefix
        "NAVIO_AUTH__ACCESS_TTL",  # unknown nested field
        "NAVIO_OUTBOX__RUN_IN_WORKER",
    ],
)
def test_unknown_navio_variables_are_refused(name: str) -> None:
    with pytest.raises(UnknownSettingError) as caught:
        load_settings(environ={name: "1", "NAVIO_LOG_LEVEL": "INFO"})
    assert name in str(caught.value)
    assert "NAVIO_LOG_LEVEL" not in str(caught.value)


def test_every_unknown_variable_is_named_sorted() -> None:
    with pytest.raises(UnknownSettingError) as caught:
        load_settings(environ={"NAVIO_ZETA": "1", "NAVIO_ALPHA": "1"})
    message = str(caught.value)
    assert "NAVIO_ALPHA, NAVIO_ZETA" in message


def test_variables_without_the_prefix_are_ignored() -> None:
    settings = load_settings(environ={"PATH": "/bin", "HOME": "/root", "NAVIOX": "1"})
    assert settings.env is Environment.DEVELOPMENT


@pytest.mark.parametrize(
    "name",
    [
        "NAVIO_ENV",
        "NAVIO_DATABASE_URL",
        "NAVIO_SECRET_KEY",
        "NAVIO_REDIS_URL",
        "NAVIO_AUTH__ACCESS_TTL_SECONDS",
        "NAVIO_AUTH__JWT_KEYS",
        "NAVIO_RATE_LIMIT__LOGIN_PER_IP",
        "NAVIO_OUTBOX__MAX_ATTEMPTS",
        "NAVIO_HTTP__CORS_ORIGINS",
        "navio_auth__issuer",
    ],
)
def test_known_variables_pass_the_name_check(name: str) -> None:
    assert name.upper() in known_variables()
    load_settings(environ={name: "ignored: only names are checked"})


def test_nested_values_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIO_AUTH__ACCESS_TTL_SECONDS", "600")
    monkeypatch.setenv("NAVIO_OUTBOX__MAX_ATTEMPTS", "4")
    monkeypatch.setenv("NAVIO_RATE_LIMIT__ENABLED", "false")
    monkeypatch.setenv("NAVIO_DATABASE_POOL_SIZE", "7")
    settings = load_settings()
    assert settings.auth.access_ttl_seconds == 600
    assert settings.outbox.max_attempts == 4
    assert settings.rate_limit.enabled is False
    assert settings.database_pool_size == 7
    # Untouched siblings keep their defaults.
    assert settings.auth.refresh_ttl_seconds == 30 * 86_400


def test_unknown_variable_in_os_environ_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIO_AUTH__ACCESS_TTL_SECONDZ", "600")
    with pytest.raises(UnknownSettingError, match="NAVIO_AUTH__ACCESS_TTL_SECONDZ"):
        load_settings()


def test_out_of_range_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIO_AUTH__ACCESS_TTL_SECONDS", "5")
    with pytest.raises(ValidationError, match="access_ttl_seconds"):
        load_settings()


def test_overrides_are_applied() -> None:
    settings = load_settings(environ={}, log_level="DEBUG", database_pool_size=3)
    assert settings.log_level == "DEBUG"
    assert settings.database_pool_size == 3


# ---------------------------------------------------------------- secrets


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_is_refused_outside_development(env: str) -> None:
    with pytest.raises(ValidationError, match="development default"):
        Settings(env=env)


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_from_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv("NAVIO_ENV", env)
    with pytest.raises(ValidationError, match="development default"):
        load_settings()


def test_default_secret_is_accepted_in_development() -> None:
    settings = Settings(env="development")
    assert settings.secret_key.get_secret_value() == DEV_SECRET
    assert settings.signing_keys() == ("k1", {"k1": DEV_SECRET})


@pytest.mark.parametrize("env", ["production", "test"])
def test_a_real_secret_is_accepted(env: str) -> None:
    settings = Settings(env=env, secret_key=GOOD_SECRET)
    assert settings.env == env
    assert settings.secret_key.get_secret_value() == GOOD_SECRET


@pytest.mark.parametrize("env", ["production", "test"])
def test_short_secrets_are_refused(env: str) -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env=env, secret_key="x" * 31)
    assert Settings(env=env, secret_key="x" * 32).secret_key.get_secret_value() == "x" * 32


def test_short_jwt_keys_are_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="'short'"):
        Settings(
            env="production",
            secret_key=GOOD_SECRET,
            auth={"jwt_keys": {"short": "too-short"}, "jwt_active_kid": "short"},
        )


def test_secret_is_not_shown_in_repr() -> None:
    settings = Settings(env="production", secret_key=GOOD_SECRET)
    assert GOOD_SECRET not in repr(settings)
    assert GOOD_SECRET not in str(settings.model_dump())


# ---------------------------------------------------------------- database URL


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user@localhost/navio",
        "postgresql://postgres@localhost/navio",  # sync driver
        "postgres://postgres@localhost/navio",
        "sqlite:///var/navio.db",  # sync driver
        "var/navio.db",
    ],
)
def test_unsupported_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="NAVIO_DATABASE_URL"):
        Settings(database_url=url)


@pytest.mark.parametrize(
    "url",
    ["sqlite+aiosqlite:///var/navio.db", "postgresql+asyncpg://postgres@localhost:5432/navio"],
)
def test_supported_database_urls_are_accepted(url: str) -> None:
    settings = Settings(database_url=url)
    assert settings.database_url == url
    assert settings.is_sqlite is url.startswith("sqlite")


@pytest.mark.parametrize(
    "url", ["redis://localhost:6379", "kafka://localhost:9092", "localhost:5672", "http://mq"]
)
def test_unsupported_broker_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="NAVIO_BROKER_URL"):
        Settings(broker_url=url)


@pytest.mark.parametrize(
    "url", ["amqp://guest:guest@mq:5672/", "amqps://mq/", "nats://mq:4222", "tls://mq:4222"]
)
def test_rabbitmq_and_nats_urls_are_accepted(url: str) -> None:
    assert Settings(broker_url=url).broker_url == url


@pytest.mark.parametrize("namespace", ["", "Navio", "navio.events", "9lives", "a" * 41])
def test_broker_namespaces_are_names(namespace: str) -> None:
    with pytest.raises(ValidationError, match="broker_namespace"):
        Settings(broker_namespace=namespace)


# ---------------------------------------------------------------- JWT keys


def test_active_kid_must_be_one_of_the_keys() -> None:
    with pytest.raises(ValidationError, match="JWT_ACTIVE_KID"):
        Settings(auth={"jwt_keys": {"a": GOOD_KEY}, "jwt_active_kid": "b"})


def test_keys_without_an_active_kid_are_refused() -> None:
    with pytest.raises(ValidationError, match="JWT_ACTIVE_KID"):
        Settings(auth={"jwt_keys": {"a": GOOD_KEY}})


def test_active_kid_among_keys_is_used_for_signing() -> None:
    settings = Settings(
        env="production",
        secret_key=GOOD_SECRET,
        auth={"jwt_keys": {"old": GOOD_KEY, "new": GOOD_KEY[::-1]}, "jwt_active_kid": "new"},
    )
    active, keys = settings.signing_keys()
    assert active == "new"
    assert keys == {"old": GOOD_KEY, "new": GOOD_KEY[::-1]}
    assert isinstance(settings.auth.jwt_keys["new"], SecretStr)


def test_jwt_keys_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIO_AUTH__JWT_KEYS", f'{{"k2": "{GOOD_KEY}"}}')
    monkeypatch.setenv("NAVIO_AUTH__JWT_ACTIVE_KID", "k2")
    assert load_settings().signing_keys() == ("k2", {"k2": GOOD_KEY})
    monkeypatch.setenv("NAVIO_AUTH__JWT_ACTIVE_KID", "k3")
    with pytest.raises(ValidationError, match="JWT_ACTIVE_KID"):
        load_settings()


# ---------------------------------------------------------------- derived values


def test_relay_runs_in_api_unless_a_broker_is_set() -> None:
    assert Settings().relay_in_api is True
    assert Settings(broker_url="amqp://localhost").relay_in_api is False
    assert Settings(broker_url="amqp://localhost", outbox={"run_in_api": True}).relay_in_api is True

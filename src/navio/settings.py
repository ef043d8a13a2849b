"""Root settings: read once, in the composition root. Nothing else reads os.environ."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "NAVIO_"
NESTED_DELIMITER = "__"
DEV_SECRET = "navio-development-secret-change-me-0000000000"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class AuthSettings(BaseModel):
    access_ttl_seconds: int = Field(900, ge=30, le=86_400)
    refresh_ttl_seconds: int = Field(30 * 86_400, ge=300)
    mfa_ttl_seconds: int = Field(300, ge=30, le=3_600)
    # kid -> secret (HS256). Empty means one key derived from NAVIO_SECRET_KEY with kid "k1".
    jwt_keys: dict[str, SecretStr] = Field(default_factory=dict)
    jwt_active_kid: str | None = None
    issuer: str = "navio"
    password_reset_ttl_seconds: int = Field(3_600, ge=60)
    email_verification_ttl_seconds: int = Field(3 * 86_400, ge=60)
    # Argon2id: OWASP Password Storage Cheat Sheet, m=19 MiB, t=2, p=1 is the stated minimum.
    argon2_time_cost: int = Field(2, ge=2)
    argon2_memory_kib: int = Field(19_456, ge=19_456)
    argon2_parallelism: int = Field(1, ge=1)


class RateLimitSettings(BaseModel):
    enabled: bool = True
    login_per_account: int = Field(5, ge=1)
    login_per_account_window_seconds: int = Field(300, ge=1)
    login_per_ip: int = Field(30, ge=1)
    login_per_ip_window_seconds: int = Field(300, ge=1)
    mfa_per_account: int = Field(5, ge=1)
    mfa_per_account_window_seconds: int = Field(300, ge=1)
    # apps' A/B assignments and events, per caller IP (both routes are open to installs)
    analytics_per_ip: int = Field(1200, ge=1)
    analytics_per_ip_window_seconds: int = Field(60, ge=1)


class HttpSettings(BaseModel):
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(1_048_576, ge=1_024)
    # receipt images and bank statements
    upload_max_bytes: int = Field(16 * 1_048_576, ge=1_024)
    # Trust X-Forwarded-For only behind a proxy you run.
    trust_forwarded_for: bool = False
    # FastAPI's native OpenTelemetry spans, metrics and logs per request (with an OpenTelemetry
    # SDK configured, e.g. FASTAPI_OTEL_AUTO_CONFIGURE=true). Off, no request pays for the
    # check whether a provider is there (5-8 µs of ~100 in-process on GET /auth/me).
    opentelemetry: bool = False


class OutboxSettings(BaseModel):
    poll_interval_seconds: float = Field(1.0, gt=0)
    batch_size: int = Field(100, ge=1, le=10_000)
    max_attempts: int = Field(10, ge=1)
    # Embedded mode: the API process runs the relay. Scaled mode (a broker set): workers do.
    run_in_api: bool | None = None


class PlacesSettings(BaseModel):
    # Semantic search with the bundled MiniLM model (falls back to lexical when not installed).
    semantic: bool = True


class PaymentsSettings(BaseModel):
    # the provider new payments go to; sandbox (built in, no network) unless configured
    provider: Literal["sandbox", "stripe", "razorpay"] = "sandbox"
    sandbox_secret: SecretStr | None = None  # default: derived from NAVIO_SECRET_KEY
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_return_url: str | None = None
    razorpay_key_id: str | None = None
    razorpay_key_secret: SecretStr | None = None
    razorpay_webhook_secret: SecretStr | None = None
    # the platform's own seller name on invoices (wallet top-ups)
    seller_name: str = "Navio"


class BookingsSettings(BaseModel):
    # a card booking not paid within this many minutes expires (a payment landing later is
    # refunded in full)
    payment_window_minutes: int = Field(30, ge=1, le=1_440)


class NotificationsSettings(BaseModel):
    # smtp://user:password@host:587 (STARTTLS when the server offers it) or smtps://host:465
    # (TLS from the start); unset: e-mails are kept, marked `skipped`, and not sent
    smtp_url: SecretStr | None = None
    mail_from: str = Field("Navio <no-reply@navio.localhost>", min_length=3, max_length=320)
    # where the links in e-mails point: the site's public address
    public_url: str = "http://127.0.0.1:8000"
    send_interval_seconds: float = Field(2.0, gt=0)
    smtp_timeout_seconds: float = Field(10.0, gt=0)
    # an e-mail refused this many times (temporary failures, backing off) is given up; a
    # webhook delivery too
    max_attempts: int = Field(8, ge=1, le=50)
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=60)
    # webhooks to http:// and to loopback or private addresses: for development and tests only
    # (elsewhere an endpoint could reach into the network Navio runs in)
    webhook_allow_local: bool = False

    @model_validator(mode="after")
    def _check(self) -> NotificationsSettings:
        if self.smtp_url is not None:
            smtp = urlsplit(self.smtp_url.get_secret_value())
            if smtp.scheme not in ("smtp", "smtps") or not smtp.hostname:
                raise ValueError(
                    "NAVIO_NOTIFICATIONS__SMTP_URL must be smtp://[user:password@]host[:port] "
                    "or smtps://..."
                )
        if not self.public_url.startswith(("http://", "https://")):
            raise ValueError("NAVIO_NOTIFICATIONS__PUBLIC_URL must start with http:// or https://")
        return self


class AssistantSettings(BaseModel):
    # the assistant in Telegram: the bot's username (for the link travelers open) and the secret
    # Telegram sends with each update (`secret_token` of setWebhook); unset, the channel is off
    telegram_bot_username: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
    telegram_webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _check(self) -> AssistantSettings:
        if (self.telegram_bot_username is None) != (self.telegram_webhook_secret is None):
            raise ValueError(
                "set both NAVIO_ASSISTANT__TELEGRAM_BOT_USERNAME and "
                "NAVIO_ASSISTANT__TELEGRAM_WEBHOOK_SECRET, or neither"
            )
        secret = self.telegram_webhook_secret
        if secret is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", secret.get_secret_value()
        ):
            raise ValueError(
                "NAVIO_ASSISTANT__TELEGRAM_WEBHOOK_SECRET: 16-256 characters of A-Z, a-z, 0-9, _ "
                "and - (Telegram's rule)"
            )
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        extra="forbid",
        case_sensitive=False,
    )

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///var/navio.db"
    database_pool_size: int = Field(10, ge=1, le=200)
    database_echo: bool = False
    redis_url: str | None = None
    broker_url: str | None = None
    # prefixes the broker's exchanges, queues, stream and subjects (deployments sharing a broker)
    broker_namespace: str = Field("navio", pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    log_level: str = "INFO"
    log_json: bool = True
    # Test suites only: a missing PostgreSQL/Redis/broker fails instead of skipping.
    require_services: bool = False
    auth: AuthSettings = Field(default_factory=AuthSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    places: PlacesSettings = Field(default_factory=PlacesSettings)
    payments: PaymentsSettings = Field(default_factory=PaymentsSettings)
    bookings: BookingsSettings = Field(default_factory=BookingsSettings)
    notifications: NotificationsSettings = Field(default_factory=NotificationsSettings)
    assistant: AssistantSettings = Field(default_factory=AssistantSettings)
    # compiled GTFS timetables, one file per feed and service day
    transit_cache_dir: str = "var/transit-cache"

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env is Environment.DEVELOPMENT:
            return self
        if self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError(
                f"NAVIO_SECRET_KEY is the development default; set a real secret for env={self.env}"
            )
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("NAVIO_SECRET_KEY must be at least 32 characters")
        for kid, key in self.auth.jwt_keys.items():
            if len(key.get_secret_value()) < 32:
                raise ValueError(f"JWT key {kid!r} must be at least 32 characters")
        return self

    @model_validator(mode="after")
    def _check_keys(self) -> Settings:
        if self.auth.jwt_keys and self.auth.jwt_active_kid not in self.auth.jwt_keys:
            raise ValueError("NAVIO_AUTH__JWT_ACTIVE_KID must name one of NAVIO_AUTH__JWT_KEYS")
        if self.broker_url is not None and not self.broker_url.startswith(
            ("amqp://", "amqps://", "nats://", "tls://")
        ):
            raise ValueError(
                "NAVIO_BROKER_URL must start with amqp://, amqps://, nats:// or tls://"
            )
        if not self.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "NAVIO_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def relay_in_api(self) -> bool:
        if self.outbox.run_in_api is not None:
            return self.outbox.run_in_api
        return self.broker_url is None

    def signing_keys(self) -> tuple[str, dict[str, str]]:
        """(active kid, kid -> secret)."""
        if self.auth.jwt_keys:
            keys = {k: v.get_secret_value() for k, v in self.auth.jwt_keys.items()}
            assert self.auth.jwt_active_kid is not None
            return self.auth.jwt_active_kid, keys
        return "k1", {"k1": self.secret_key.get_secret_value()}


def known_variables() -> set[str]:
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        names.add(f"{ENV_PREFIX}{name}".upper())
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub in annotation.model_fields:
                names.add(f"{ENV_PREFIX}{name}{NESTED_DELIMITER}{sub}".upper())
    return names


class UnknownSettingError(ValueError):
    pass


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment, refusing NAVIO_ variables nobody reads."""
    env = os.environ if environ is None else environ
    known = known_variables()
    unknown = sorted(k for k in env if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)
    if unknown:
        raise UnknownSettingError(
            "unknown configuration variables: "
            + ", ".join(unknown)
            + " (see README, Configuration)"
        )
    return Settings(**overrides)

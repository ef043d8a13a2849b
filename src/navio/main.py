"""Composition root: settings, database, cache, events, services and routers are wired here."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession

from navio import __version__
from navio.analytics import api as analytics_api
from navio.analytics import handlers as analytics_handlers
from navio.assistant import api as assistant_api
from navio.bookings import api as bookings_api
from navio.bookings import handlers as bookings_handlers
from navio.bookings.service import ticket_keys
from navio.budgeting import api as budgeting_api
from navio.expenses import api as expenses_api
from navio.expenses import handlers as expenses_handlers
from navio.iam import api as iam_api
from navio.iam.repository import IamRepository
from navio.iam.tokens import IamRuntime, RevocationList
from navio.itinerary import api as itinerary_api
from navio.journeys import api as journeys_api
from navio.kernel.cache import Cache, create_cache
from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.errors import PROBLEM_JSON, DomainError, problem
from navio.kernel.events import HandlerRegistry
from navio.kernel.fx import EcbRates
from navio.kernel.http import RejectNulMiddleware, install_error_handlers, problem_responses
from navio.kernel.observability import Metrics, RequestContextMiddleware, configure_logging
from navio.kernel.outbox import OutboxRelay, backoff
from navio.kernel.pubsub import Broadcast, create_broadcast
from navio.kernel.ratelimit import Limit, Quota, RateLimiter
from navio.kernel.security import JwtCodec, PasswordHasher, SecretBox
from navio.marketplace import api as marketplace_api
from navio.notifications import api as notifications_api
from navio.notifications import handlers as notifications_handlers
from navio.notifications.delivery import PushSender, WebhookSender
from navio.notifications.mailer import SmtpMailer
from navio.notifications.push import push_subject, vapid_key
from navio.payments import PaymentsService, payments_in
from navio.payments import api as payments_api
from navio.payments.providers import PaymentProvider, build_provider
from navio.places import api as places_api
from navio.places import warm_caches as warm_places
from navio.places.semantic import SemanticIndex
from navio.pricing import api as pricing_api
from navio.pricing import handlers as pricing_handlers
from navio.profiles import api as profiles_api
from navio.profiles import handlers as profiles_handlers
from navio.settings import Settings, load_settings
from navio.stations import api as stations_api
from navio.stations import handlers as stations_handlers
from navio.tracking import api as tracking_api
from navio.tracking import handlers as tracking_handlers
from navio.transit import api as transit_api
from navio.trips import api as trips_api
from navio.trips import handlers as trips_handlers
from navio.wallet import api as wallet_api
from navio.web import api as web_api

if TYPE_CHECKING:
    from navio.kernel.broker import EventBroker

API_PREFIX = "/api/v1"


def build_iam_runtime(settings: Settings, cache: Cache) -> IamRuntime:
    active, keys = settings.signing_keys()
    auth, rl = settings.auth, settings.rate_limit
    return IamRuntime(
        codec=JwtCodec(active, keys, settings.auth.issuer),
        cache=cache,
        hasher=PasswordHasher(
            time_cost=auth.argon2_time_cost,
            memory_kib=auth.argon2_memory_kib,
            parallelism=auth.argon2_parallelism,
        ),
        totp_box=SecretBox(settings.secret_key.get_secret_value(), "totp"),
        revocations=RevocationList(cache),
        limiter=RateLimiter(cache, enabled=rl.enabled),
        access_ttl=timedelta(seconds=auth.access_ttl_seconds),
        refresh_ttl=timedelta(seconds=auth.refresh_ttl_seconds),
        mfa_ttl=timedelta(seconds=auth.mfa_ttl_seconds),
        reset_ttl=timedelta(seconds=auth.password_reset_ttl_seconds),
        verify_ttl=timedelta(seconds=auth.email_verification_ttl_seconds),
        login_account=Limit(
            "login:acct", rl.login_per_account, rl.login_per_account_window_seconds
        ),
        login_ip=Limit("login:ip", rl.login_per_ip, rl.login_per_ip_window_seconds),
        mfa_account=Limit("mfa:acct", rl.mfa_per_account, rl.mfa_per_account_window_seconds),
        mfa_ip=Limit("mfa:ip", rl.login_per_ip, rl.login_per_ip_window_seconds),
        reset_account=Limit("reset:acct", 5, 3_600),
    )


async def load_revocations(db: Database, revocations: RevocationList) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        repo = IamRepository(session)
        await repo.purge_revocations(now)
        for row in await repo.live_revocations(now):
            await revocations.put(row.key, row.value, row.expires_at)


async def _warm(db: Database) -> None:
    try:
        async with db.transaction(write=False) as session:
            await warm_places(session)
    except Exception:  # a cold cache is slower, never wrong: the first query fills it
        log.warning("warm_caches_failed", exc_info=True)


def build_registry(
    broadcast: Broadcast,
    settings: Settings,
    providers: Mapping[str, PaymentProvider] | None = None,
) -> HandlerRegistry:
    """Every context's event subscribers and periodic jobs, for the API process and the
    worker alike."""
    registry = HandlerRegistry()
    clock = Clock()
    providers = providers if providers is not None else build_payment_providers(settings, clock)
    conf = settings.payments

    def payments(session: AsyncSession) -> PaymentsService:
        return payments_in(session, clock, providers, conf.provider, conf.seller_name)

    bookings_handlers.register(
        registry,
        ticket_keys(settings.secret_key.get_secret_value()),
        payments,
        timedelta(minutes=settings.bookings.payment_window_minutes),
    )
    profiles_handlers.register(registry)
    trips_handlers.register(registry, broadcast)
    tracking_handlers.register(registry, broadcast)
    stations_handlers.register(registry, broadcast)
    analytics_handlers.register(registry)
    rates = EcbRates()
    expenses_handlers.register(registry, rates)
    pricing_handlers.register(registry, rates)
    notes = settings.notifications
    notifications_handlers.register(
        registry,
        notes.public_url,
        SmtpMailer.from_url(notes.smtp_url.get_secret_value(), notes.smtp_timeout_seconds)
        if notes.smtp_url
        else None,
        notes.mail_from,
        notes.max_attempts,
        notes.send_interval_seconds,
        WebhookSender(notes.webhook_timeout_seconds, notes.max_attempts, notes.webhook_allow_local),
        PushSender(
            notes.webhook_timeout_seconds,
            notes.max_attempts,
            notes.webhook_allow_local,
            vapid_key(settings.secret_key.get_secret_value()),
            push_subject(notes.mail_from),
        ),
    )
    return registry


log = structlog.get_logger("navio.main")


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = {
        "type": "object",
        "description": "RFC 9457 problem details; `code` is stable and meant for programs.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "instance": {"type": "string"},
            "field": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object"}},
        },
    }
    _document_problems(schema)
    app.openapi_schema = schema
    return schema


def _document_problems(schema: dict[str, Any]) -> None:
    """What every operation can answer, as it answers it: a body that cannot be read (JSON
    that is not UTF-8, a broken form) is a 400 problem, and the validation errors FastAPI
    documents by default as `HTTPValidationError` JSON are 422 problems here."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "requestBody" in operation and "400" not in responses:
                responses["400"] = problem_responses(400)[400]
            invalid = responses.get("422", {}).get("content", {})
            if "application/json" in invalid and PROBLEM_JSON not in invalid:
                responses["422"] = problem_responses(422)[422]


async def connect_broker(settings: Settings) -> EventBroker | None:
    """The broker of NAVIO_BROKER_URL, connected and its topology declared (None without)."""
    if settings.broker_url is None:
        return None
    from navio.kernel.broker import create_broker  # its clients load only when configured

    broker = create_broker(
        settings.broker_url,
        namespace=settings.broker_namespace,
        max_attempts=settings.outbox.max_attempts,
        backoff=backoff,
    )
    await broker.connect()
    return broker


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/ready")
    async def ready(request: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        state = request.app.state
        probes = [("database", state.db.ping), ("cache", state.cache.ping)]
        if state.broker is not None:
            probes.append(("broker", state.broker.ping))
        for name, probe in probes:
            try:
                await probe()
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"failed: {type(exc).__name__}"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ok", "checks": checks})
        body = problem(503, "not_ready", "Not ready", "a dependency is unavailable", checks=checks)
        return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        return Response(
            generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
        )

    return router


def build_payment_providers(settings: Settings, clock: Clock) -> dict[str, PaymentProvider]:
    """The sandbox always (its secret derived from the app secret unless set); Stripe and
    Razorpay when their keys are configured. The default provider must be among them."""
    conf = settings.payments
    sandbox_secret = (
        conf.sandbox_secret.get_secret_value()
        if conf.sandbox_secret
        else hmac.new(
            settings.secret_key.get_secret_value().encode(), b"payments-sandbox", hashlib.sha256
        ).hexdigest()
    )
    providers = {
        "sandbox": build_provider("sandbox", {"sandbox_secret": sandbox_secret}, clock=clock)
    }
    if conf.stripe_api_key and conf.stripe_webhook_secret:
        providers["stripe"] = build_provider(
            "stripe",
            {
                "stripe_api_key": conf.stripe_api_key.get_secret_value(),
                "stripe_webhook_secret": conf.stripe_webhook_secret.get_secret_value(),
                "stripe_return_url": conf.stripe_return_url or "",
            },
            clock=clock,
        )
    if conf.razorpay_key_id and conf.razorpay_key_secret and conf.razorpay_webhook_secret:
        providers["razorpay"] = build_provider(
            "razorpay",
            {
                "razorpay_key_id": conf.razorpay_key_id,
                "razorpay_key_secret": conf.razorpay_key_secret.get_secret_value(),
                "razorpay_webhook_secret": conf.razorpay_webhook_secret.get_secret_value(),
            },
            clock=clock,
        )
    if conf.provider not in providers:
        raise ValueError(f"NAVIO_PAYMENTS__PROVIDER={conf.provider} is not configured (keys)")
    return providers


async def _idempotency_scope(request: Request) -> str | None:
    """Idempotency keys belong to the authenticated caller; None for credentials that fail."""
    header = request.headers.get("authorization")
    if not header:
        return "anonymous"
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        principal = await request.app.state.iam.authenticate(token)
    except DomainError:
        return None
    return f"user:{principal.user_id}"


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or load_settings()
    if configure_logs:
        configure_logging(settings.log_level, json=settings.log_json)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(
            create_engine(
                settings.database_url,
                pool_size=settings.database_pool_size,
                echo=settings.database_echo,
            )
        )
        cache = create_cache(settings.redis_url)
        broadcast = create_broadcast(settings.redis_url)
        clock = Clock()
        providers = build_payment_providers(settings, clock)
        registry = build_registry(broadcast, settings, providers)
        # with a broker, API processes publish (when the relay runs here) and probe it; the
        # handlers run in `navio worker` processes
        broker = await connect_broker(settings)
        relay = OutboxRelay(
            db,
            registry,
            batch_size=settings.outbox.batch_size,
            max_attempts=settings.outbox.max_attempts,
            poll_interval=settings.outbox.poll_interval_seconds,
            broker=broker,
        )
        app.state.db = db
        app.state.cache = cache
        app.state.registry = registry
        app.state.clock = clock
        app.state.iam = build_iam_runtime(settings, cache)
        app.state.semantic = SemanticIndex(enabled=settings.places.semantic)
        app.state.relay = relay
        app.state.broker = broker
        app.state.broadcast = broadcast
        app.state.rates = EcbRates()
        app.state.payment_providers = providers
        app.state.idempotency_scope = _idempotency_scope
        app.state.webhook_allow_local = settings.notifications.webhook_allow_local
        rl = settings.rate_limit
        app.state.analytics_quota = Quota(
            RateLimiter(cache, enabled=rl.enabled),
            Limit("analytics_ip", rl.analytics_per_ip, rl.analytics_per_ip_window_seconds),
        )
        await load_revocations(db, app.state.iam.revocations)
        if settings.relay_in_api:
            relay.start()
        warming = asyncio.create_task(_warm(db), name="navio-warm-caches")
        # Everything built at start-up lives as long as the process: keep it out of the
        # collector's generations so collections under load stay short.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming
            await relay.stop()
            if broker is not None:
                await broker.close()
            await broadcast.close()
            await cache.close()
            await db.dispose()

    otel = settings.http.opentelemetry
    app = FastAPI(
        title="Navio API",
        version=__version__,
        description="Travel & mobility platform backend. Errors are RFC 9457 problem+json.",
        lifespan=lifespan,
        # Prometheus (/metrics) and structlog are the defaults; OpenTelemetry when asked for
        telemetry={"tracing": otel, "metrics": otel, "logs": otel},
    )
    app.state.settings = settings
    app.state.metrics = metrics
    install_error_handlers(app)
    # Routes are matched in order: API traffic first; probes come every few seconds.
    for router in (
        *iam_api.routers,
        *profiles_api.routers,
        *places_api.routers,
        *trips_api.routers,
        *expenses_api.routers,
        *budgeting_api.routers,
        *wallet_api.routers,
        *payments_api.routers,
        *bookings_api.routers,
        *marketplace_api.routers,
        *stations_api.routers,
        *analytics_api.routers,
        *pricing_api.routers,
        *transit_api.routers,
        *itinerary_api.routers,
        *journeys_api.routers,
        *assistant_api.routers,
        *tracking_api.routers,
        *notifications_api.routers,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health_router())
    # the traveler pages and their assets, clients of the API above
    app.include_router(web_api.router)
    app.mount(web_api.STATIC_URL, web_api.static_files(), name="static")
    # no text Navio keeps may hold a NUL character (PostgreSQL refuses it): a 422 before any
    # route, inside CORS (a browser can read it) and the body cap below
    app.add_middleware(RejectNulMiddleware)
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.http.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        metrics=metrics,
        max_body_bytes=settings.http.max_body_bytes,
        upload_max_bytes=settings.http.upload_max_bytes,
        upload_paths=(f"{API_PREFIX}/expenses/receipts", f"{API_PREFIX}/expenses/imports"),
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app

"""FastAPI's native OpenTelemetry is off unless `NAVIO_HTTP__OPENTELEMETRY` asks for it: off, no
request consults the OpenTelemetry providers (5-8 µs of a ~100 µs request); on, every request is
a span of the SDK the operator configured. Metrics stay Prometheus (/metrics) either way."""

from __future__ import annotations

import httpx
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.conftest import make_settings, running_app
from tests.factories.iam import user as make_user

_EXPORTER = InMemorySpanExporter()


def _configured_sdk() -> InMemorySpanExporter:
    """An SDK tracer provider as the process's global one (OpenTelemetry sets it only once)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    return _EXPORTER


async def _me_twice(opentelemetry: bool, database_url: str) -> None:
    settings = make_settings(database_url, http={"opentelemetry": opentelemetry})
    async with running_app(settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            me = await make_user(c)
            for _ in range(2):
                response = await c.get("/api/v1/auth/me", headers=me.headers)
                assert response.status_code == 200, response.text


async def test_off_by_default_and_on_when_asked(sqlite_url: str) -> None:
    exporter = _configured_sdk()
    await _me_twice(False, sqlite_url)
    assert exporter.get_finished_spans() == ()
    await _me_twice(True, sqlite_url)
    routes = [span.attributes.get("http.route") for span in exporter.get_finished_spans()]
    assert routes.count("/api/v1/auth/me") >= 2, routes

"""Build the configured payment provider from flat string settings.

Keys (values are strings; blank counts as missing):

* ``sandbox``: ``sandbox_secret``
* ``stripe``: ``stripe_api_key``, ``stripe_webhook_secret``; optional ``stripe_return_url``
* ``razorpay``: ``razorpay_key_id``, ``razorpay_key_secret``, ``razorpay_webhook_secret``
* any provider: optional ``webhook_tolerance`` (seconds, a non-negative integer) overriding the
  provider's default (300 s; 25 h for Razorpay, whose retries keep the event's ``created_at``)

The Stripe and Razorpay SDKs are imported only when their provider is built, so a deployment on
the sandbox never loads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from navio.kernel.clock import Clock
from navio.payments.providers.base import DEFAULT_WEBHOOK_TOLERANCE, PaymentProvider
from navio.payments.providers.sandbox import SandboxProvider

__all__ = ["PROVIDER_NAMES", "REQUIRED_SETTINGS", "build_provider"]

REQUIRED_SETTINGS: Final[Mapping[str, tuple[str, ...]]] = {
    "sandbox": ("sandbox_secret",),
    "stripe": ("stripe_api_key", "stripe_webhook_secret"),
    "razorpay": ("razorpay_key_id", "razorpay_key_secret", "razorpay_webhook_secret"),
}
PROVIDER_NAMES: Final = tuple(REQUIRED_SETTINGS)


def build_provider(
    name: str, settings: Mapping[str, str], *, clock: Clock | None = None
) -> PaymentProvider:
    """The provider called ``name``; ValueError for an unknown name or missing settings."""
    key = name.strip().lower()
    required = REQUIRED_SETTINGS.get(key)
    if required is None:
        raise ValueError(
            f"unknown payment provider {name!r}; expected one of {', '.join(PROVIDER_NAMES)}"
        )
    missing = [k for k in required if not (settings.get(k) or "").strip()]
    if missing:
        raise ValueError(f"payment provider {key!r} needs settings: {', '.join(missing)}")
    tolerance = _tolerance(settings.get("webhook_tolerance"))

    if key == "sandbox":
        return SandboxProvider(
            settings["sandbox_secret"],
            clock=clock,
            tolerance=DEFAULT_WEBHOOK_TOLERANCE if tolerance is None else tolerance,
        )
    if key == "stripe":
        from navio.payments.providers.stripe_provider import StripeProvider

        return StripeProvider(
            settings["stripe_api_key"],
            settings["stripe_webhook_secret"],
            return_url=(settings.get("stripe_return_url") or "").strip() or None,
            clock=clock,
            tolerance=DEFAULT_WEBHOOK_TOLERANCE if tolerance is None else tolerance,
        )
    from navio.payments.providers.razorpay_provider import (
        RAZORPAY_WEBHOOK_TOLERANCE,
        RazorpayProvider,
    )

    return RazorpayProvider(
        settings["razorpay_key_id"],
        settings["razorpay_key_secret"],
        settings["razorpay_webhook_secret"],
        clock=clock,
        tolerance=RAZORPAY_WEBHOOK_TOLERANCE if tolerance is None else tolerance,
    )


def _tolerance(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"webhook_tolerance must be a non-negative integer, got {value!r}")
    return int(text)

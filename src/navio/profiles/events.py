from __future__ import annotations

import uuid

from navio.kernel.events import Event


class PreferencesUpdated(Event):
    name = "profiles.preferences_updated"
    user_id: uuid.UUID
    fields: list[str]


class PaymentMethodAdded(Event):
    name = "profiles.payment_method_added"
    user_id: uuid.UUID
    payment_method_id: uuid.UUID
    brand: str
    last4: str


class PaymentMethodRemoved(Event):
    name = "profiles.payment_method_removed"
    user_id: uuid.UUID
    payment_method_id: uuid.UUID

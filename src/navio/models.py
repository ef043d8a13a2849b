"""Imports every context's models so Base.metadata is complete (migrations, tests)."""


def import_all_models() -> None:
    import navio.analytics.models
    import navio.assistant.models
    import navio.bookings.models
    import navio.budgeting.models
    import navio.expenses.models
    import navio.iam.models
    import navio.itinerary.models
    import navio.kernel.events
    import navio.kernel.idempotency
    import navio.marketplace.models
    import navio.notifications.models
    import navio.payments.models
    import navio.places.models
    import navio.pricing.models
    import navio.profiles.models
    import navio.stations.models
    import navio.tracking.models
    import navio.transit.models
    import navio.trips.models
    import navio.wallet.models  # noqa: F401

"""Trip use cases. Every call resolves the caller's role on the trip first; nothing is read or
changed without it. Never commits."""

from navio.kernel.versioning import etag
from navio.trips.service.base import Access
from navio.trips.service.discussion import DiscussionOperations
from navio.trips.service.people import PeopleOperations
from navio.trips.service.trips import TripOperations


class TripsService(TripOperations, PeopleOperations, DiscussionOperations):
    """The trips context's use cases, one class for callers; the parts live in this package."""


__all__ = ["Access", "TripsService", "etag"]

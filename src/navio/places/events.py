from __future__ import annotations

import uuid

from navio.kernel.events import Event


class PlaceIndexed(Event):
    name = "places.place_indexed"
    place_id: uuid.UUID
    source: str


class PlaceRemoved(Event):
    name = "places.place_removed"
    place_id: uuid.UUID

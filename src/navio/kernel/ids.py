import uuid


def new_id() -> uuid.UUID:
    # UUIDv7-like ordering is not needed for correctness; uuid4 keeps ids unguessable.
    return uuid.uuid4()

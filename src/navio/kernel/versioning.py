"""Optimistic concurrency over HTTP: a resource's version is its ETag, If-Match guards writes."""

from __future__ import annotations

from navio.kernel.errors import DomainError, InvalidInput


class StaleVersion(DomainError):
    code = "stale_version"
    title = "The resource changed since you read it"
    status = 412


class IfMatchMalformed(InvalidInput):
    code = "invalid_if_match"
    title = "If-Match must be an ETag this API issued"


def etag(version: int) -> str:
    return f'"{version}"'


def _tags(header: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def unchanged(if_none_match: str | None, version: int) -> bool:
    """If-None-Match names the current version (weakly compared, as RFC 9110 asks for GET):
    the client's copy is current, a 304 will do."""
    if if_none_match is None:
        return False
    tags = _tags(if_none_match)
    return "*" in tags or etag(version) in tags


def check_if_match(if_match: str | None, version: int) -> None:
    """No If-Match: last write wins. A stale one: 412, so the client re-reads and merges."""
    if if_match is None:
        return
    tags = _tags(if_match)
    if "*" in tags:
        return
    versions = []
    for tag in tags:
        raw = tag.strip('"')
        if not raw.isdigit():
            raise IfMatchMalformed(field="If-Match")
        versions.append(int(raw))
    if version not in versions:
        raise StaleVersion(f"the current version is {version}", current_etag=etag(version))

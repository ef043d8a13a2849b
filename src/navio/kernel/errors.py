"""Domain errors and their RFC 9457 problem+json rendering."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A failure a client can act on. `code` is stable; clients switch on it."""

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request cannot be processed"
    # Some failures must persist what was done before raising (refresh-token reuse revokes
    # the family and still answers 401). The unit of work commits instead of rolling back.
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        extra = dict(self.extra)
        if instance:
            extra["instance"] = instance
        return problem(self.status, self.code, self.title, self.detail, **extra)


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    title = "Authentication required"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422
    title = "Invalid input"


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        retry_after = max(1, retry_after)
        super().__init__(
            detail or f"Too many attempts; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    status = 503
    title = "Service unavailable"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://navio.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return body

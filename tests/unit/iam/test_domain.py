from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from navio.iam.domain import (
    Permission,
    Role,
    org_permissions_for,
    password_problems,
    permissions_for,
    slugify,
)


def test_password_policy() -> None:
    assert password_problems("correct horse battery", "ada@example.org") == []
    assert password_problems("short", "ada@example.org") == ["must be at least 10 characters"]
    assert "must not contain your email name" in password_problems(
        "xx-lovelace-xx", "lovelace@x.org"
    )
    assert "must use at least 4 different characters" in password_problems(
        "abababababab", "a@x.org"
    )
    assert password_problems("p" * 129, "a@x.org")[0] == "must be at most 128 characters"


def test_role_permissions() -> None:
    assert permissions_for({"admin"}) == frozenset(p.value for p in Permission)
    traveler = permissions_for({"traveler"})
    assert Permission.TRIP_CREATE.value in traveler
    assert Permission.USER_MANAGE.value not in traveler
    operator = permissions_for({"operator"})
    assert traveler < operator and Permission.LISTING_MANAGE.value in operator
    assert permissions_for({"emperor"}) == frozenset()
    assert permissions_for({"staff", "operator"}) == permissions_for({"staff"}) | operator
    assert org_permissions_for("member") == frozenset({"org:read"})
    assert "org:transfer" in org_permissions_for("owner")
    assert org_permissions_for("nobody") == frozenset()


@given(st.sets(st.sampled_from([r.value for r in Role])))
def test_permissions_grow_with_roles(roles: set[str]) -> None:
    granted = permissions_for(roles)
    for role in roles:
        assert permissions_for({role}) <= granted


@given(st.text(max_size=300))
def test_slugify_is_url_safe(name: str) -> None:
    slug = slugify(name)
    assert 1 <= len(slug) <= 60
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in slug)
    assert slug == slug.lower()

"""The pages: each shell is rendered once per process (they hold no per-request data) and
served with a strict Content-Security-Policy; static assets under `/static`."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from navio.expenses import Category
from navio.kernel.money import active_currencies, currency_exponent
from navio.marketplace import ListingKind
from navio.profiles import Dietary, Interest, Mobility, Pace, TravelStyle

STATIC_URL = "/static"
# The pages run only their own script and talk only to this origin; nothing may frame them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def static_dir() -> Path:
    return Path(str(resources.files("navio.web") / "static"))


@dataclass(frozen=True)
class Page:
    body: bytes
    etag: str


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("navio.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # asset URLs carry a digest of their content: a new release is never mixed with a cached
    # script or stylesheet of the old one
    digests = {
        path.name: hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()
        for path in static_dir().iterdir()
        if path.is_file()
    }
    env.globals["asset"] = lambda name: f"{STATIC_URL}/{name}?v={digests[name]}"
    # the choices the profile and expense APIs accept, in their order
    env.globals["choices"] = {
        "pace": [p.value for p in Pace],
        "interests": [i.value for i in Interest],
        "dietary": [d.value for d in Dietary],
        "mobility": [m.value for m in Mobility],
        "travel_style": [t.value for t in TravelStyle],
        "expense_category": [c.value for c in Category],
        "listing_kind": [k.value for k in ListingKind],
    }
    # minor-unit digits where they are not 2 (JPY 0, BHD 3), as the API counts amounts
    env.globals["exponents"] = json.dumps(
        {c: e for c in sorted(active_currencies()) if (e := currency_exponent(c)) != 2},
        separators=(",", ":"),
    )
    env.filters["label"] = lambda value: str(value).replace("_", " ").capitalize()
    return env


@cache
def page(template: str, title: str) -> Page:
    body = _environment().get_template(template).render(title=title).encode()
    return Page(body, f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"')


def _serve(request: Request, shown: Page, status_code: int = 200) -> Response:
    headers = {**HEADERS, "ETag": shown.etag}
    if status_code == 200 and request.headers.get("if-none-match") == shown.etag:
        return Response(status_code=304, headers=headers)
    return Response(shown.body, status_code, headers=headers, media_type="text/html")


router = APIRouter(include_in_schema=False)

# path -> (template, title) of the pages that are the same for every visitor and address
SHELLS = {
    "/": ("home.html", "Find places"),
    "/login": ("login.html", "Sign in"),
    "/register": ("register.html", "Create an account"),
    "/trips": ("trips.html", "My trips"),
    "/preferences": ("preferences.html", "Travel preferences"),
    "/notifications": ("notifications.html", "Inbox"),
    "/experiences": ("experiences.html", "Tours and tickets"),
    "/stations": ("stations.html", "Swap a battery"),
    "/assistant": ("assistant.html", "Plan a journey"),
    "/prices": ("prices.html", "Fair local prices"),
    "/dashboard": ("dashboard.html", "Dashboard"),
    # the links the e-mails carry (the token stays in the address, read by the script)
    "/forgot-password": ("forgot.html", "Forgot your password"),
    "/reset-password": ("reset.html", "Choose a new password"),
    "/verify-email": ("verify.html", "Confirm your e-mail address"),
}


def _shell(template: str, title: str) -> Callable[[Request], Awaitable[Response]]:
    async def show(request: Request) -> Response:
        return _serve(request, page(template, title))

    return show


for _path, (_template, _title) in SHELLS.items():
    router.add_api_route(_path, _shell(_template, _title), methods=["GET"])


@router.get("/trips/invites/accept")
async def invitation(request: Request) -> Response:
    return _serve(request, page("invite.html", "Join a trip"))


def _object_page(template: str, title: str) -> Callable[[Request, str], Awaitable[Response]]:
    """The page of one object, named by its id in the address (not found unless an id)."""

    async def show(request: Request, object_id: str) -> Response:
        try:
            uuid.UUID(object_id)
        except ValueError:
            return _serve(request, page("not_found.html", "Not found"), 404)
        return _serve(request, page(template, title))

    return show


router.add_api_route("/trips/{object_id}", _object_page("trip.html", "Trip"), methods=["GET"])
router.add_api_route(
    "/experiences/{object_id}", _object_page("experience.html", "Tour"), methods=["GET"]
)


def static_files() -> StaticFiles:
    return StaticFiles(directory=static_dir())

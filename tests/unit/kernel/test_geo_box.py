"""`kernel.geo.in_box` in SQL: every point within the circle passes the box, across the
antimeridian and near the poles too (what the marketplace, stations and places searches rely on
before they measure the circle)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Float, create_engine, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from navio.kernel.geo import haversine_m, in_box


class _Base(DeclarativeBase):
    pass


class _Point(_Base):
    __tablename__ = "point"

    id: Mapped[int] = mapped_column(primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


ENGINE = create_engine("sqlite://")
_Base.metadata.create_all(ENGINE)

lats = st.floats(min_value=-89.9, max_value=89.9)
lons = st.floats(min_value=-180, max_value=180)


@settings(max_examples=150, deadline=None)
@given(
    center=st.tuples(lats, lons),
    radius=st.floats(min_value=10, max_value=500_000),
    points=st.lists(st.tuples(lats, lons), max_size=30),
    near=st.lists(
        st.tuples(st.floats(min_value=-0.99, max_value=0.99), st.floats(min_value=-1, max_value=1)),
        max_size=10,
    ),
)
def test_every_point_in_the_circle_is_in_the_box(
    center: tuple[float, float],
    radius: float,
    points: list[tuple[float, float]],
    near: list[tuple[float, float]],
) -> None:
    # points close to the centre (some across the antimeridian when it is near) and anywhere
    scale = radius / 111_000
    close = [
        (
            max(-89.9, min(89.9, center[0] + dy * scale)),
            (center[1] + dx * scale * 3 + 180) % 360 - 180,
        )
        for dy, dx in near
    ]
    rows = [{"id": i, "lat": lat, "lon": lon} for i, (lat, lon) in enumerate(close + points)]
    with Session(ENGINE) as session:
        if rows:
            session.execute(insert(_Point), rows)
        found = set(
            session.scalars(
                select(_Point.id).where(in_box(_Point.lat, _Point.lon, *center, radius))
            )
        )
        session.rollback()
    inside = {r["id"] for r in rows if haversine_m(*center, r["lat"], r["lon"]) <= radius}
    assert inside <= found


def test_a_box_across_the_antimeridian_keeps_both_sides_and_nothing_between() -> None:
    rows = [
        {"id": 1, "lat": -16.85, "lon": 179.99},  # Fiji, west of the line
        {"id": 2, "lat": -16.85, "lon": -179.97},  # east of it
        {"id": 3, "lat": -16.85, "lon": 0.0},  # the other side of the world
    ]
    with Session(ENGINE) as session:
        session.execute(insert(_Point), rows)
        for center in ((-16.85, 179.995), (-16.85, -179.99)):
            found = set(
                session.scalars(
                    select(_Point.id).where(in_box(_Point.lat, _Point.lon, *center, 20_000))
                )
            )
            assert found == {1, 2}
        session.rollback()

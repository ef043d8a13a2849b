"""`navio import gtfs` and `navio import flights` as an operator runs them: a real process, a
fresh SQLite database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

POA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gtfs" / "poa_eptc.zip"


def _navio(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NAVIO_")},
        "NAVIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'navio.db'}",
        "NAVIO_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "navio", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_gtfs_stores_the_feed_and_its_stops(tmp_path: Path) -> None:
    result = _navio(tmp_path, "import", "gtfs", str(POA), "--name", "poa")
    assert result.returncode == 0, result.stderr
    assert "3986 stops" in result.stdout and "America/Sao_Paulo" in result.stdout
    with sqlite3.connect(tmp_path / "navio.db") as db:
        feed = db.execute("SELECT name, stops, starts_on, ends_on FROM transit_feed").fetchall()
        stops = db.execute("SELECT count(*) FROM transit_stop").fetchone()[0]
    assert feed == [("poa", 3986, "2019-04-15", "2019-07-15")] and stops == 3986


def test_import_gtfs_refuses_what_is_not_a_feed(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_text("not a zip", encoding="utf-8")
    result = _navio(tmp_path, "import", "gtfs", str(bogus))
    assert result.returncode == 2 and "not a readable zip" in result.stdout


ROUTES = POA.parents[1] / "openflights" / "routes.dat"


def test_import_flights_stores_the_route_network(tmp_path: Path) -> None:
    result = _navio(tmp_path, "import", "flights", str(ROUTES))
    assert result.returncode == 0, result.stderr
    assert "non-stop routes between" in result.stdout
    with sqlite3.connect(tmp_path / "navio.db") as db:
        rows = db.execute("SELECT name, routes, airports FROM transit_flight_network").fetchall()
    ((name, routes, airports),) = rows
    assert name == "openflights" and routes > 30_000 and airports > 3_000
    # importing again replaces it
    again = _navio(tmp_path, "import", "flights", str(ROUTES))
    assert again.returncode == 0 and "replaced" in again.stdout


def test_import_flights_refuses_a_file_without_routes(tmp_path: Path) -> None:
    bogus = tmp_path / "routes.dat"
    bogus.write_text("not,a,route\n", encoding="utf-8")
    result = _navio(tmp_path, "import", "flights", str(bogus))
    assert result.returncode == 2 and "no non-stop route" in result.stdout
    missing = _navio(tmp_path, "import", "flights", str(tmp_path / "nope.dat"))
    assert missing.returncode == 2

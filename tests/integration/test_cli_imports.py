"""`navio import hotel-prices` as an operator runs it: a real process on a fresh database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

HOTELS = Path(__file__).resolve().parents[3] / "shared" / "data" / "pricing" / "hotel_bookings.csv"


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


def test_import_hotel_prices_learns_and_replaces(tmp_path: Path) -> None:
    first = _navio(tmp_path, "import", "hotel-prices", str(HOTELS))
    assert first.returncode == 0, first.stderr
    assert "season model learnt from 6693 bookings" in first.stdout
    again = _navio(tmp_path, "import", "hotel-prices", str(HOTELS))  # replaces, never doubles
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(tmp_path / "navio.db") as db:
        rows = db.execute("SELECT name, country, rows_used, payload FROM budget_season_model")
        found = rows.fetchall()
    assert [(n, c, r) for n, c, r, _ in found] == [("hotel_bookings.csv", "PT", 6693)]
    payload = json.loads(found[0][3])
    assert set(payload["segments"]) == {"all", "city", "resort"}


def test_import_hotel_prices_refuses_a_wrong_file(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("hotel,adr\nCity Hotel,100\n", encoding="utf-8")
    result = _navio(tmp_path, "import", "hotel-prices", str(wrong))
    assert result.returncode == 2 and "required column" in result.stdout
    missing = _navio(tmp_path, "import", "hotel-prices", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2

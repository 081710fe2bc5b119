"""The README's settings tables are the settings: made from their own names, defaults and descriptions, so
a changed default cannot leave the README behind."""

from __future__ import annotations

import re

from generation.settings import Location
from indexer.settings import BuildSettings
from service.settings import Settings
from tests.corpus import REPO
from tests.settings_table import render


def test_the_readme_holds_the_settings_tables_made_from_the_settings() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert render() in readme, "README settings are stale: run `make settings-table`"


def test_every_setting_of_either_side_has_exactly_one_row() -> None:
    rows = re.findall(r"^\| `(SEMSEARCH_[A-Z0-9_]+)` \|", render(), flags=re.MULTILINE)
    fields = {
        f"SEMSEARCH_{n.upper()}" for kind in (Location, BuildSettings, Settings) for n in kind.model_fields
    }
    shared_names = {"SEMSEARCH_THREADS"}  # one name, a meaning on each side (each row says which)
    assert set(rows) == fields
    assert [r for r in rows if rows.count(r) > 1 and r not in shared_names] == []


def test_the_readme_stays_short_and_its_pictures_are_there_and_small() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    pictures = re.findall(r'<img src="([^"]+)"[^>]* alt="[^"]+"', readme)
    assert pictures == ["docs/img/results.png", "docs/img/phone.png"]
    for picture in pictures:
        png = (REPO / picture).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 300_000, picture
    # A screenful each (`make screenshots`): 1280 px wide, and 390 CSS px at twice the density.
    widths = [int.from_bytes((REPO / p).read_bytes()[16:20], "big") for p in pictures]
    assert widths == [1280, 780]

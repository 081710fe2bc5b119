"""The README's settings table is the list of settings: every SEMSEARCH_* setting has a row, every row is
a setting."""

from __future__ import annotations

import re

from service.settings import Settings
from tests.corpus import REPO


def test_every_setting_is_in_the_readme_table_and_every_row_is_a_setting() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `SEMSEARCH_([A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - rows == set(), "settings missing from the README table"
    assert rows - fields == set(), "README rows that are not settings"

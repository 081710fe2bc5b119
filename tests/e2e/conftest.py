"""The browser fixture the page tests share: a fresh page with JavaScript off (the page needs none) over
the module's own `base` server; a module that wants another page defines its own `page`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import browser_page


@pytest.fixture()
def page(base: str) -> Iterator[Any]:
    with browser_page(java_script=False) as pg:
        yield pg

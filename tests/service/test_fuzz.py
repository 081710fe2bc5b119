"""Every route of the OpenAPI schema, fuzzed by schemathesis against the ASGI app: never a 5xx, and every
answer matches the documented schema."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from service.app import create_app
from service.settings import Settings
from tests.fakes import FakeEmbedder

WORK = Path(tempfile.mkdtemp(prefix="fuzz-"))
# Creating the app loads nothing; the model and the index are put in place by the fixture below.
APP = create_app(Settings(corpus_dir=WORK / "corpus", index_dir=WORK / "index", admin_token="fuzz-token"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _ready(fake_essay_settings: Settings, fake: FakeEmbedder) -> Iterator[None]:
    shutil.copytree(fake_essay_settings.index_dir, WORK / "index")
    shutil.copytree(fake_essay_settings.corpus_dir, WORK / "corpus")
    APP.state.holder.embedder = fake
    assert APP.state.reloader.check(), "the essay generation loads"
    yield
    shutil.rmtree(WORK, ignore_errors=True)


@schema.parametrize()
@hypothesis.settings(max_examples=60, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_no_route_fails(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

"""The service swaps only to generations that verify; a corrupt or foreign one is refused and reported."""

from __future__ import annotations

import shutil

import httpx
import pytest

from generation import store
from service.app import create_app
from service.harness import live_server, wait_until
from service.settings import Settings
from tests.corpus import index
from tests.fakes import FakeEmbedder


def _publish_corrupt_copy(settings: Settings, victim: str) -> str:
    root = settings.index_dir
    good = store.read_current(root)
    assert good
    bad = store.new_generation_name()
    shutil.copytree(store.generations_dir(root) / good, store.generations_dir(root) / bad)
    path = store.generations_dir(root) / bad / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    store.publish(root, bad)
    return bad


@pytest.mark.parametrize("victim", ["index.faiss", "passages.jsonl"])
def test_corrupt_generation_is_refused_and_old_one_keeps_serving(
    fresh_settings: Settings, fake: FakeEmbedder, victim: str
) -> None:
    good = index(fresh_settings, fake).generation
    with live_server(create_app(fresh_settings, fake)) as url:
        bad = _publish_corrupt_copy(fresh_settings, victim)
        ready = wait_until(lambda: (r := httpx.get(f"{url}/readyz").json()).get("rejected") and r)
        assert ready["generation"] == good
        assert f"checksum of {victim}" in ready["rejected"][bad]
        answer = httpx.get(f"{url}/api/search", params={"q": "How long did the Paris Commune last"})
        assert answer.status_code == 200 and answer.json()["index"]["generation"] == good
        # A good generation published afterwards is picked up.
        newer = index(fresh_settings, fake).generation
        wait_until(lambda: httpx.get(f"{url}/readyz").json()["generation"] == newer)


def test_generation_of_another_model_is_refused(fresh_settings: Settings, fake: FakeEmbedder) -> None:
    good = index(fresh_settings, fake).generation
    with live_server(create_app(fresh_settings, fake)) as url:
        other = FakeEmbedder(dim=32)
        foreign = index(fresh_settings, other).generation
        ready = wait_until(lambda: (r := httpx.get(f"{url}/readyz").json()).get("rejected") and r)
        assert ready["generation"] == good and "not the model" in ready["rejected"][foreign]
        assert httpx.get(f"{url}/api/search", params={"q": "soviets"}).json()["index"]["generation"] == good

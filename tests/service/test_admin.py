"""Admin re-index: off without a token, 401 on a wrong one, one build at a time, swaps when done."""

from __future__ import annotations

import httpx
import pytest

from generation.torch_model import SentenceTransformerEmbedder
from service.admin import token_matches
from service.app import create_app
from service.harness import live_server, wait_until
from service.settings import Settings
from tests.corpus import index
from tests.fakes import FakeEmbedder


def test_token_comparison() -> None:
    assert token_matches("s3cret", "Bearer s3cret")
    assert not token_matches("s3cret", "Bearer s3cre")
    assert not token_matches("s3cret", "s3cret")
    assert not token_matches("s3cret", None)


def test_admin_routes_are_off_without_a_token(fake_essay_settings: Settings, fake: FakeEmbedder) -> None:
    with live_server(create_app(fake_essay_settings, fake)) as url:
        r = httpx.post(f"{url}/api/admin/reindex", headers={"Authorization": "Bearer x"})
        assert r.status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic c2VjcmV0", "Bearer"])
def test_wrong_or_missing_token_is_401(
    fake_essay_settings: Settings, fake: FakeEmbedder, header: str | None
) -> None:
    settings = fake_essay_settings.replace(admin_token="the-token-123")
    with live_server(create_app(settings, fake)) as url:
        headers = {"Authorization": header} if header else {}
        r = httpx.post(f"{url}/api/admin/reindex", headers=headers)
        assert r.status_code == 401
        assert "the-token-123" not in r.text


def test_reindex_runs_once_and_swaps(fresh_settings: Settings, embedder: SentenceTransformerEmbedder) -> None:

    index(fresh_settings, embedder)
    settings = fresh_settings.replace(admin_token="tok")
    auth = {"Authorization": "Bearer tok"}
    with live_server(create_app(settings, embedder)) as url:
        before = httpx.get(f"{url}/readyz").json()["generation"]
        (settings.corpus_dir / "new.txt").write_text(
            "The quartermaster counted exactly 4,217 blue umbrellas."
        )
        first = httpx.post(f"{url}/api/admin/reindex", headers=auth)
        second = httpx.post(f"{url}/api/admin/reindex", headers=auth)
        assert first.status_code == second.status_code == 202
        assert first.json()["new"] is True
        job = first.json()["job"]
        # The build is a child process that imports PyTorch (seconds): the second request comes while it
        # runs and is handed the same job.
        assert second.json()["job"] == job and second.json()["new"] is False
        done = wait_until(
            lambda: (
                (s := httpx.get(f"{url}/api/admin/reindex/{job}", headers=auth).json())["state"] != "running"
                and s
            )
        )
        assert done["state"] == "succeeded", done
        assert done["summary"]["documents"] == 2
        wait_until(lambda: httpx.get(f"{url}/readyz").json()["generation"] != before)
        hits = httpx.get(f"{url}/api/search", params={"q": "how many umbrellas", "k": 1}).json()["results"]
        assert hits[0]["document"] == "new.txt"
        assert httpx.get(f"{url}/api/admin/reindex/nope", headers=auth).status_code == 404


@pytest.mark.slow
def test_jobs_are_shared_by_worker_processes(fresh_settings: Settings) -> None:
    """Two ReindexJobs on one index directory (two workers): one build, both see it, both see it end."""
    from service.admin import ReindexJobs

    swapped: list[str] = []
    first = ReindexJobs(fresh_settings, after=lambda: swapped.append("first"))
    second = ReindexJobs(fresh_settings, after=lambda: swapped.append("second"))
    job, new = first.start()
    again, new_again = second.start()
    assert new and not new_again
    assert again.job == job.job
    assert (seen := second.get(job.job)) is not None and seen.state in {"running", "succeeded"}
    done = wait_until(lambda: (s := second.get(job.job)) is not None and s.state != "running" and s, 300)
    assert done.state == "succeeded", done.error
    assert done.summary is not None and done.summary["documents"] == 1
    # The worker that ran the build reloads at once (just after the record is final); others poll CURRENT.
    wait_until(lambda: swapped)
    assert swapped == ["first"]
    assert second.get("../../CURRENT") is None and second.get("0" * 16) is None


@pytest.mark.slow
def test_a_job_cut_off_by_a_dead_process_reports_failed(fresh_settings: Settings) -> None:
    """A record left 'running' by a killed service is reported as interrupted, and a new build can start."""
    import json

    from service.admin import Job, ReindexJobs

    jobs = ReindexJobs(fresh_settings, after=lambda: None)
    jobs.dir.mkdir(parents=True)
    (jobs.dir / "0123456789abcdef.json").write_text(json.dumps(Job("0123456789abcdef").as_dict()))
    (jobs.dir / "RUNNING").write_text("0123456789abcdef")
    cut = jobs.get("0123456789abcdef")
    assert cut is not None and cut.state == "failed" and cut.error is not None and "interrupted" in cut.error
    job, new = jobs.start()
    assert new and job.job != "0123456789abcdef"
    wait_until(lambda: (s := jobs.get(job.job)) is not None and s.state != "running", 300)

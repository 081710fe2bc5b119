"""Entry point for `python -m service`: serve the app with uvicorn using SEMSEARCH_* settings."""

from __future__ import annotations

import os
import sys

import uvicorn

from generation.settings import SettingsError
from service.app import create_app
from service.log_config import log_config
from service.protocol import GuardedHttpProtocol
from service.settings import Settings


def main() -> int:
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Several workers need an import string (each process builds its own app from the environment).
    app: object = "service.app:create_app" if settings.workers > 1 else create_app(settings)
    uvicorn.run(
        app,  # type: ignore[arg-type]
        factory=settings.workers > 1,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        limit_concurrency=settings.max_concurrency,
        http=GuardedHttpProtocol,  # slow or greedy clients cannot hold the connection slots
        timeout_keep_alive=5,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

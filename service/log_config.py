"""Owns the service's logging configuration, applied by uvicorn in every worker process."""

from __future__ import annotations

from typing import Any

# The process id tells the worker processes apart (SEMSEARCH_WORKERS).
FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def log_config(level: str) -> dict[str, Any]:
    """A logging.config dict: our loggers (service.*, query.*, generation.*) and uvicorn's, each line with
    its pid. uvicorn applies it in each worker it starts (a worker is a new process: the parent's logging
    setup does not reach it). Third-party loggers keep Python's default: warnings only."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"format": FORMAT}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
        },
        "loggers": {
            name: {"handlers": ["stderr"], "level": level, "propagate": False}
            for name in ("service", "query", "generation", "uvicorn", "uvicorn.access")
        }
        | {"uvicorn.error": {"level": level}},
    }

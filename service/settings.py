"""Owns the service's settings: the query-time ones plus HTTP, admin and reload, from SEMSEARCH_*."""

from __future__ import annotations

from pydantic import Field, SecretStr

from generation.store import Verification
from query.settings import QuerySettings


class Settings(QuerySettings):
    """Everything `python -m service` reads from the environment (see the README's tables)."""

    host: str = Field("127.0.0.1", description="Interface to listen on")
    port: int = Field(8000, ge=1, le=65535, description="Port to listen on")
    admin_token: SecretStr | None = Field(
        None, description="Bearer token for the admin re-index routes; unset: the routes are off"
    )
    reload_interval: float = Field(1.0, gt=0, le=3600, description="Seconds between checks of CURRENT")
    max_body_bytes: int = Field(16_384, ge=1024, le=10_000_000, description="Largest accepted request body")
    max_concurrency: int = Field(
        64,
        ge=1,
        le=10_000,
        description="Connections served at once per worker; beyond it the server answers 503",
    )
    request_read_timeout: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Seconds a connection has to send a whole request (headers and body) from its start or "
        "its first byte; slower: 408 and closed",
    )
    max_connections_per_client: int = Field(
        16,
        ge=1,
        le=10_000,
        description="Connections one client address holds at once per worker; more: 429 and closed",
    )
    # 2 on 2 cores, by measurement (docs/benchmarks.md): the int8 encoder is cheap enough that one
    # process's Python work (GIL) becomes the limit at concurrency 8 and more.
    workers: int = Field(
        2, ge=1, le=32, description="Server processes; each loads the query encoder, the index is mmapped"
    )
    # Checksumming a million-passage generation (about 3 GB) takes longer than the rest of a cold start;
    # generations are immutable and checksummed when written, and `python -m indexer verify` checks all.
    verify: Verification = Field(
        "auto",
        description="Before serving a generation: `checksums` of every file, `sizes` only, or `auto` "
        "(checksums up to 256 MiB of files, sizes above)",
    )
    log_level: str = Field("info", pattern="^(critical|error|warning|info|debug)$", description="Log level")

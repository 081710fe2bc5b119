"""Owns getting a build's vectors: every passage's and sentence's vector from the embedding cache, else from
the executor in length-sorted batches, cached batch by batch (a killed build loses little)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import numpy as np

from indexer.cache import EmbeddingCache, text_key
from indexer.chunking import Passage
from indexer.executors import EncodeError, Executor

log = logging.getLogger("indexer.build")
Spans = tuple[tuple[int, int], ...]


class VectorsError(RuntimeError):
    """Vectors could not be had for every text (the build fails; nothing is published)."""


# A heading over more than this share of the corpus's passages, and more than DISTINCT_HEADING_PASSAGES
# of them, says nothing about any one of them (the essay's subtitle heads 27 of its 33): it is not
# embedded with them. (The count keeps a small corpus's sections embedded with their headings.)
DISTINCT_HEADING_SHARE = 0.1
DISTINCT_HEADING_PASSAGES = 20


def embedding_text(p: Passage, title: str, context: str, heading: bool = True) -> str:
    """The text embedded for a passage: the passage, optionally after its heading (unless `heading` is
    false or it is a footnote's, which the chunker made from the note's own first sentence) and document
    title. A section's first passage, which starts with its heading, has it twice: measured, that ranks
    the handbook's tuning questions no worse (MRR@10 0.753 against 0.734 once)."""
    parts = [title] if context == "title" else []
    if context in ("heading", "title") and heading and p.heading and p.footnote is None:
        parts.append(p.heading)
    return ". ".join([*parts, p.text]) if parts else p.text


def embedding_texts(passages: Sequence[Passage], titles: dict[str, str], context: str) -> list[str]:
    """Every passage's embedded text; only headings that tell passages apart are embedded with them."""
    heads = Counter(p.heading for p in passages)
    most = max(DISTINCT_HEADING_PASSAGES, DISTINCT_HEADING_SHARE * len(passages))
    return [embedding_text(p, titles[p.doc_id], context, heads[p.heading] <= most) for p in passages]


def spans_in(p: Passage, embed_text: str) -> Spans:
    """The passage's sentence spans as offsets into the text embedded for it (after any prefix)."""
    shift = len(embed_text) - len(p.text)  # a heading or title prefix comes before the passage
    return tuple((s + shift, e + shift) for s, e in p.sentences)


def sentence_key(passage_key: str, span: tuple[int, int]) -> str:
    """Cache key of a sentence vector pooled from its passage: it depends on the passage, not its text."""
    return f"{passage_key}:{span[0]}:{span[1]}"


def encoded_vectors(
    texts: Sequence[str], cache: EmbeddingCache, executor: Executor, batch_size: int
) -> tuple[dict[str, np.ndarray], set[str]]:
    """Vectors for every text by text key; cached texts never reach an encoder. Also returns the keys that
    were encoded (what the summary counts)."""
    keys = {text_key(t): t for t in texts}
    found = cache.get_many(list(keys))
    missing = sorted((k for k in keys if k not in found), key=lambda k: len(keys[k]))  # little padding
    if missing:
        log.info("phase embedding: %d new texts to embed", len(missing))

        def done(batch_keys: list[str], vectors: np.ndarray) -> None:
            cache.put_many(zip(batch_keys, vectors, strict=True))
            found.update(zip(batch_keys, vectors, strict=True))

        try:
            executor.encode([(k, keys[k]) for k in missing], batch_size, done)
        except EncodeError as exc:
            raise VectorsError(f"embedding failed: {exc}") from None
    absent = [k for k in keys if k not in found]
    if absent:  # an executor that lost rows must not produce a generation with holes
        raise VectorsError(
            f"{len(absent)} texts came back without a vector (first: {keys[absent[0]][:60]!r})"
        )
    return found, set(missing)


def pooled_vectors(
    passages: Sequence[Passage],
    embed_texts: Sequence[str],
    cache: EmbeddingCache,
    executor: Executor,
    batch_size: int,
) -> tuple[dict[str, np.ndarray], set[str]]:
    """Passage vectors and their sentences' vectors pooled from the same forward pass, cached; passages
    whose vectors are all cached never reach an encoder. Also returns the passage keys encoded."""
    items: dict[str, tuple[str, Spans]] = {}
    for p, text in zip(passages, embed_texts, strict=True):
        items[text_key(text)] = (text, spans_in(p, text))
    wanted = [*items, *(sentence_key(k, span) for k, (_, spans) in items.items() for span in spans)]
    found = cache.get_many(wanted)

    def complete(key: str) -> bool:
        return key in found and all(sentence_key(key, x) in found for x in items[key][1])

    missing = sorted((k for k in items if not complete(k)), key=lambda k: len(items[k][0]))
    if missing:
        log.info("phase embedding: %d new passages to embed, sentence vectors pooled", len(missing))

        def done(batch_keys: list[str], vectors: np.ndarray, pooled: list[np.ndarray]) -> None:
            rows = list(zip(batch_keys, vectors, strict=True))
            for key, sentence_rows in zip(batch_keys, pooled, strict=True):
                rows += [
                    (sentence_key(key, span), v) for span, v in zip(items[key][1], sentence_rows, strict=True)
                ]
            cache.put_many(rows)
            found.update(rows)

        try:
            executor.encode_pooled([(k, *items[k]) for k in missing], batch_size, done)
        except EncodeError as exc:
            raise VectorsError(f"embedding failed: {exc}") from None
    return found, set(missing)


def matrices(
    passages: Sequence[Passage],
    embed_texts: Sequence[str],
    vectors: dict[str, np.ndarray],
    pooled: bool,
    dim: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The passage matrix (row i: passage i) and the sentence matrix (each passage's sentences in turn)."""
    passage_matrix = np.stack([vectors[text_key(t)] for t in embed_texts]).astype(np.float32)
    if pooled:
        rows = [
            vectors[sentence_key(text_key(t), span)]
            for p, t in zip(passages, embed_texts, strict=True)
            for span in spans_in(p, t)
        ]
    else:
        rows = [vectors[text_key(p.text[s:e])] for p in passages for s, e in p.sentences]
    sentences = np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
    return passage_matrix, sentences

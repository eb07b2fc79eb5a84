"""Chunks: sentence-aligned, within the token budget, configurable overlap."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import chunk_sentences
from index.embedder import input_budget
from index.sentences import Sentence, split_sentences
from service.testing import HashEmbedder

count = HashEmbedder().count_tokens


def _sents(lengths: list[int]) -> list[Sentence]:
    text = " ".join(" ".join(f"w{i}x{j}" for j in range(n)) + "." for i, n in enumerate(lengths))
    return split_sentences("a", text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 90), min_size=1, max_size=30), st.integers(8, 120), st.integers(0, 3))
def test_chunks_never_exceed_the_budget_and_cover_every_sentence(lengths: list[int], budget: int, overlap: int) -> None:
    sents = _sents(lengths)
    chunks = chunk_sentences(sents, count, budget=budget, overlap=overlap)
    assert all(count(c.text) <= budget for c in chunks)
    covered = {i for c in chunks for i in range(c.first_sentence, c.last_sentence + 1)}
    assert covered == set(range(len(sents)))
    assert [c.first_sentence for c in chunks] == sorted({c.first_sentence for c in chunks})  # always moves on
    for c in chunks:
        if c.first_sentence != c.last_sentence:  # a multi-sentence chunk is the sentences verbatim
            assert c.text == " ".join(s.text for s in sents[c.first_sentence : c.last_sentence + 1])


def test_overlap_shares_sentences_between_neighbours() -> None:
    sents = _sents([10] * 12)
    for overlap in (0, 1, 2):
        chunks = chunk_sentences(sents, count, budget=45, overlap=overlap)
        assert all(b.first_sentence == a.last_sentence + 1 - overlap for a, b in itertools.pairwise(chunks))
    assert [(c.first_sentence, c.last_sentence) for c in chunk_sentences(sents, count, budget=45, overlap=1)] == [
        (0, 3), (3, 6), (6, 9), (9, 11)]


def test_a_sentence_over_the_budget_is_cut_to_it() -> None:
    sents = _sents([5, 300, 5])
    chunks = chunk_sentences(sents, count, budget=50, overlap=0)
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 0), (1, 1), (2, 2)]
    assert count(chunks[1].text) == 50 and sents[1].text.startswith(chunks[1].text)


def test_budget_leaves_room_for_special_tokens() -> None:
    class Small(HashEmbedder):
        max_tokens = 256

    assert input_budget(Small(), 256) == 254
    assert input_budget(Small(), 200) == 200
    assert input_budget(HashEmbedder(), 300) == 300  # no known window: taken as asked

"""Sentence splitting: exact offsets on any input (property test) and sensible splits."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.sentences import normalize_text, split_sentences

PIECES = [
    "The U.S. economy grew.", "Dr. Smith said so.", "Mr. and Mrs. Jones left", "It rose 3.5% to 4.25 points.",
    "Wait...", " and then… nothing", '"We will not be rushed," he said.', "“Curly quotes.”", "'Single.'",
    "\n- first item", "\n* second item", "\n• bullet", "\n1. numbered", "no final period", "Why?", "Yes!!",
    "Ça va? Très bien.", "東京は晴れ。次の文。", "Прошу. Спасибо!", "e.g. this, i.e. that", "(Reuters) -",
    "J.P. Morgan Inc.", "3.", "...", ". . .", "A.", "\n\n", "\t", "  ", "\r\n", "\u00a0", "\u200b", "e\u0301",
    "🙂 emoji.", "$1.2bn", "p.m.", "Nov. 6", "http://x.example/a.b?c=d.", "a", "'", '"', ")", "(",
]


def _check(raw: str) -> None:
    text = normalize_text(raw)
    assert normalize_text(text) == text  # normalising is idempotent: stored text is stable
    sentences = split_sentences("a1", text)
    covered = [False] * len(text)
    prev_end = 0
    for i, s in enumerate(sentences):
        assert s.index == i
        assert s.article_id == "a1"
        assert text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert s.start >= prev_end  # in order, no overlaps
        assert "\n" not in s.text  # a paragraph or list item never merges with the next
        prev_end = s.end
        for j in range(s.start, s.end):
            covered[j] = True
    missed = [c for c, hit in zip(text, covered, strict=True) if not hit and not c.isspace()]
    assert not missed, f"characters outside every sentence: {missed!r}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=30)), max_size=25).map(" ".join))
def test_offsets_exact_and_text_fully_covered(raw: str) -> None:
    _check(raw)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join))
def test_offsets_exact_on_glued_pieces(raw: str) -> None:
    _check(raw)


def test_abbreviations_decimals_and_ellipses_do_not_split() -> None:
    text = "Dr. Smith flew to the U.S. on Monday. Rates rose 0.25 points to 4.5%. He paused... Then he left"
    got = [s.text for s in split_sentences("a", text)]
    assert got == [
        "Dr. Smith flew to the U.S. on Monday.",
        "Rates rose 0.25 points to 4.5%.",
        "He paused...",
        "Then he left",
    ]


def test_quotes_stay_with_their_sentence() -> None:
    text = '"We will not be rushed," he said. "Never." She agreed.'
    assert [s.text for s in split_sentences("a", text)] == [
        '"We will not be rushed," he said.', '"Never."', "She agreed.",
    ]


def test_bullet_items_are_separate_sentences() -> None:
    text = normalize_text("Key points:\n- rates up\n- strike over\n\n* bridge closed")
    got = [s.text for s in split_sentences("a", text)]
    assert got == ["Key points:", "- rates up", "- strike over", "* bridge closed"]


def test_normalize_text_unifies_space_newlines_and_unicode() -> None:
    raw = "  Cafe\u0301\u00a0 menu \r\n\r\n\r\n\tNext\u200b line  "
    assert normalize_text(raw) == "Café menu\n\nNext line"


def test_empty_and_blank_text_has_no_sentences() -> None:
    assert split_sentences("a", "") == []
    assert split_sentences("a", normalize_text(" \n\t ")) == []


def test_many_numbered_sentences_over_several_lines_split_cleanly() -> None:
    # pysbd took "quay 37. Sentence 38" for a numbered list and cut before "37."
    line = " ".join(f"Sentence {i} reports that ships number {i * 7} near quay {i}." for i in range(40))
    clause = " ".join(f"Clause {i} covers berth {i}," for i in range(60)) + " and ends."
    got = [s.text for s in split_sentences("a", f"{line}\n{clause}\n{line}")]
    want = [f"Sentence {i} reports that ships number {i * 7} near quay {i}." for i in range(40)]
    assert got == [*want, clause, *want]

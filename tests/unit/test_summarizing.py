"""Summaries with fakes: extractive fallback, checked model sentences, map-reduce carry-through,
context budget, salience, and clear errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from index.errors import ArticleNotFound, InvalidRequest
from index.search import Searcher
from index.store import Filters, Store
from service.citations import CitationChecker
from service.llm import count_tokens
from service.salience import build_pool, lexrank, load_article, mmr
from service.summarizing import NoMatchingArticles, Summarizer, SummaryResult
from service.testing import FunctionGenerator, ScriptedGenerator

_LINE = re.compile(r"^\[(\d+)\] (?:\([^)]*\) )?(.+)$", re.MULTILINE)


def by_title(store: Store, start: str) -> str:
    """Id of the article whose title starts with ``start``."""
    return next(m.id for m in store.catalog.values() if m.title.startswith(start))


def summarizer(store: Store, generator: object, **kw: object) -> Summarizer:
    return Summarizer(store, Searcher(store, store.embedder), generator, CitationChecker(store.embedder), **kw)  # type: ignore[arg-type]


def sources_in(messages: list[dict[str, str]]) -> dict[int, str]:
    """The numbered lines of a summarize prompt."""
    return {int(n): text for n, text in _LINE.findall(messages[-1]["content"])}


def assert_citations_exact(store: Store, result: SummaryResult) -> None:
    """Every citation quotes its article exactly, and every claim cites something that exists."""
    ids = {c.id for c in result.citations}
    for c in result.citations:
        article, _ = store.get(c.article_id)
        assert article.text[c.start : c.end] == c.text
    for claim in result.claims:
        assert claim.supported and claim.citations and set(claim.citations) <= ids


def test_a_useless_model_still_gives_a_correct_extractive_summary(corpus_store: Store) -> None:
    aid = by_title(corpus_store, "Dockworkers walk out")
    gen = ScriptedGenerator(["ALL CLEAR", ""])
    result = summarizer(corpus_store, gen).summarize([aid], max_sentences=3)
    assert result.mode == "extractive" and not result.abstained
    assert len(result.claims) == 3
    assert_citations_exact(corpus_store, result)
    assert result.citations[0].sentence_index == 0  # news puts the key facts first
    assert result.claims[0].text.startswith("About 1,200 dockworkers")  # dateline dropped from the text...
    assert result.citations[0].text.startswith("VELMORA, Nov 3")  # ...but the citation quotes it all
    assert [c.id for c in result.citations] == [1, 2, 3]
    assert result.summary.count("[") == 3 and "ALL CLEAR" not in result.summary
    assert result.articles[0]["id"] == aid


def test_extractive_flag_skips_the_model(corpus_store: Store) -> None:
    gen = ScriptedGenerator([])
    result = summarizer(corpus_store, gen).summarize([by_title(corpus_store, "Thousands evacuated")], max_sentences=2,
                                                     extractive=True)
    assert gen.history == [] and result.mode == "extractive" and len(result.claims) == 2


def _compress(messages: list[dict[str, str]]) -> str:
    """A fake model that shortens the source about the pay demand and cites it."""
    for n, text in sources_in(messages).items():
        if "9% pay rise" in text:
            return f"The union wants a 9% pay rise, the authority offers 3.5% [{n}]."
    return ""


def test_a_supported_model_sentence_is_kept_with_its_citation(corpus_store: Store) -> None:
    result = summarizer(corpus_store, FunctionGenerator(_compress)).summarize(
        [by_title(corpus_store, "Dockworkers walk out")], max_sentences=2)
    model = [c for c in result.claims if c.text.startswith("The union wants")]
    assert len(model) == 1 and result.mode == "mixed" and result.stats["model_sentences"] == 1
    cited = result.citations[model[0].citations[0] - 1]
    assert "9% pay rise" in cited.text
    assert_citations_exact(corpus_store, result)


@pytest.mark.parametrize("bad", [
    "The union wants a 12% pay rise [2].",  # a number the source does not hold
    "The union wants a 9% pay rise plus free lunches for crane drivers forever [2].",  # words from nowhere
    "The union has demanded a 9% pay rise over two years while the port",  # cut off mid-sentence
    "Mayor Quentin Falk said the strike was illegal [1].",  # a name and a claim from nowhere
    "ALL CLEAR [4].",
])
def test_unsupported_model_sentences_never_reach_the_summary(corpus_store: Store, bad: str) -> None:
    result = summarizer(corpus_store, ScriptedGenerator([bad])).summarize(
        [by_title(corpus_store, "Dockworkers walk out")], max_sentences=3)
    assert bad.split(" [")[0] not in result.summary
    assert result.stats["model_sentences"] == 0 and result.stats["replaced"] + result.stats["dropped"] >= 1
    assert len(result.claims) == 3
    assert_citations_exact(corpus_store, result)


def test_a_near_copy_is_replaced_by_the_exact_source_sentence(corpus_store: Store) -> None:
    def near_copy(messages: list[dict[str, str]]) -> str:
        n, text = next((n, t) for n, t in sources_in(messages).items() if "patient for eleven months" in t)
        return text.replace("told reporters", "said to reporters") + f" [{n}]"

    result = summarizer(corpus_store, FunctionGenerator(near_copy)).summarize(
        [by_title(corpus_store, "Dockworkers walk out")], max_sentences=3)
    quoted = [c for c in result.claims if "eleven months" in c.text]
    assert len(quoted) == 1 and "told reporters" in quoted[0].text and result.stats["quoted"] == 1


def test_injected_instructions_never_enter_a_prompt_or_a_summary(corpus_store: Store) -> None:
    gen = FunctionGenerator(lambda m: "")
    result = summarizer(corpus_store, gen).summarize([by_title(corpus_store, "Notice: Skarra Island")],
                                                     max_sentences=20)
    prompt = gen.history[0]["messages"][-1]["content"]
    assert "IMPORTANT MESSAGE" not in prompt and "ALL CLEAR" not in prompt
    assert "ALL CLEAR" not in result.summary and len(result.claims) >= 5


def _prefix(text: str) -> str:
    words = text.rstrip(".").split()
    return " ".join(words[: max(5, int(len(words) * 0.6))])


def _map_or_reduce(messages: list[dict[str, str]]) -> str:
    """Map: shorten sources 1 and 2. Reduce: repeat partial summaries 1 and 3 with their numbers."""
    lines = sources_in(messages)
    picks = (1, 3) if "partial summaries" in messages[-1]["content"] else (1, 2)
    return " ".join(f"{_prefix(lines[n])} [{n}]." for n in picks if n in lines)


def test_map_reduce_keeps_original_sentence_citations_and_fits_the_context(corpus_store: Store) -> None:
    gen = FunctionGenerator(_map_or_reduce, n_ctx=700)
    ids = [by_title(corpus_store, t) for t in ("Dockworkers walk out", "Government names mediator",
                                               "Velmora port talks", "Velmora dockworkers accept")]
    result = summarizer(corpus_store, gen, prompt_tokens=400).summarize(ids, max_sentences=2)
    assert result.stats["sections"] >= 2 and result.stats["calls"] >= result.stats["sections"] + 1
    assert any("partial summaries" in h["messages"][-1]["content"] for h in gen.history)
    for call in gen.history:  # no prompt overflows the model's window
        used = sum(count_tokens(gen, m["content"]) + 8 for m in call["messages"])
        assert used + call["max_tokens"] <= gen.n_ctx
    assert_citations_exact(corpus_store, result)
    assert result.stats["model_sentences"] >= 1 and result.mode in ("generative", "mixed")
    for claim in result.claims:  # each claim cites the very sentence its words came from, not a partial
        cited = [result.citations[i - 1].text for i in claim.citations]
        assert any(_words(claim.text) <= _words(text) for text in cited)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def test_a_topic_query_summarizes_matching_articles_only(corpus_store: Store) -> None:
    result = summarizer(corpus_store, ScriptedGenerator([])).summarize(query="Aldren River flood evacuated",
                                                                       max_sentences=3)
    assert result.articles and all("flood" in a["title"].lower() or "bridge" in a["title"].lower()
                                   or "evacuated" in a["title"].lower() for a in result.articles)
    assert_citations_exact(corpus_store, result)


def test_filters_alone_summarize_the_articles_they_admit(corpus_store: Store) -> None:
    result = summarizer(corpus_store, ScriptedGenerator([])).summarize(
        filters=Filters(sources=("Valley Courier",)), max_sentences=2)
    assert {a["source"] for a in result.articles} == {"Valley Courier"}
    assert {c.source for c in result.citations} == {"Valley Courier"}


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"article_ids": ["no-such-article"]}, ArticleNotFound),
    ({}, InvalidRequest),
    ({"query": "strike", "filters": Filters(since="2026-13-45")}, InvalidRequest),
    ({"query": "zzqx wubble frobnicate"}, NoMatchingArticles),
    ({"filters": Filters(since="2030-01-01")}, NoMatchingArticles),
])
def test_bad_requests_fail_clearly(corpus_store: Store, kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error) as info:
        summarizer(corpus_store, ScriptedGenerator([])).summarize(**kwargs)  # type: ignore[arg-type]
    assert str(info.value)


def test_lexrank_prefers_the_sentence_most_like_the_others() -> None:
    vecs = np.asarray([[1, 0, 0], [0.9, 0.1, 0], [0.8, 0.2, 0], [0, 0, 1]], np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ranks = lexrank(vecs)
    assert int(np.argmax(ranks)) == 1 and ranks[3] < ranks[0]


def test_mmr_skips_wire_copies_and_spreads_over_topics() -> None:
    vecs = np.asarray([[1, 0], [1, 0], [0, 1]], np.float32)
    order = mmr(vecs, np.asarray([0.9, 0.89, 0.5]), ["a b c d", "a b c d", "x y z w"], k=3)
    assert order == [0, 2]


def test_pool_is_in_reading_order_and_leaves_out_fragments(corpus_store: Store) -> None:
    data = load_article(corpus_store, by_title(corpus_store, "Thousands evacuated"))
    pool = build_pool([data], size=50)
    assert [e.sentence_index for e in pool.evidence] == sorted(e.sentence_index for e in pool.evidence)
    texts = [e.text for e in pool.evidence]
    assert not any(t.startswith("- ") or t.endswith(":") for t in texts)
    assert sorted(pool.rank) == list(range(len(texts)))


def test_a_sentence_contained_in_an_earlier_one_is_a_repeat() -> None:
    from service.summarizing import _contained

    assert _contained("The article has been updated.",
                      "The error was introduced during editing, and the article has been updated.")
    assert not _contained("The article has been corrected twice since.",
                          "The error was introduced during editing, and the article has been updated.")

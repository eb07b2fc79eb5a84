"""Multi-turn chat -> standalone question (service/conversation.py)."""

from __future__ import annotations

from typing import Any

import pytest

from service.conversation import Turn, is_follow_up, salient_terms, standalone_question

STRIKE = "Why did dockworkers at the Port of Velmora go on strike?"


def _turns(*pairs: tuple[str, str]) -> list[Turn]:
    return [Turn(role, text) for role, text in pairs]


def test_single_question_is_unchanged() -> None:
    turns = _turns(("system", "be brief"), ("user", "  What did Baku say?  "))
    assert standalone_question(turns) == "What did Baku say?"


def test_no_user_message_gives_empty_question() -> None:
    assert standalone_question(_turns(("system", "hello"), ("assistant", "hi"))) == ""


@pytest.mark.parametrize("follow_up", ["and what did the union say?", "What about the mediator?",
                                       "What did they offer?", "Who chaired the talks?", "and what did Baku say?"])
def test_follow_ups_carry_the_earlier_topic(follow_up: str) -> None:
    question = standalone_question(_turns(("user", STRIKE), ("assistant", "They want more pay [1]."),
                                          ("user", follow_up)))
    assert question.startswith(follow_up) and "Velmora" in question and "dockworkers" in question


def test_a_new_topic_is_left_alone() -> None:
    turns = _turns(("user", STRIKE), ("assistant", "Pay [1]."),
                   ("user", "What did the Bank of Brenmark decide on rates?"))
    assert standalone_question(turns) == "What did the Bank of Brenmark decide on rates?"


def test_names_in_the_last_answer_help_resolve_pronouns() -> None:
    turns = _turns(("user", "Who leads the dockworkers union in Velmora?"),
                   ("assistant", "Tomasz Varga leads it [1].\n\nSources:\n[1] \"Gate 4 quote\" - Title https://x.example"),
                   ("user", "What did he say about the deal?"))
    question = standalone_question(turns)
    assert "Tomasz" in question and "Varga" in question
    assert "Gate" not in question and "https" not in question  # the Sources list is not context


def test_expansion_is_bounded_and_skips_words_already_asked() -> None:
    turns = _turns(("user", "Velmora Velmora port strike pay union mediator Solberg talks Varga Rask offer"),
                   ("user", "what did the union say about Velmora?"))
    question: Any = standalone_question(turns, max_terms=3)
    context = question.split("(context: ")[1].rstrip(")").split()
    assert len(context) == 3 and "Velmora" not in context and "union" not in context
    assert len(standalone_question(turns, max_chars=30)) == 30


def test_follow_up_detection() -> None:
    history = [STRIKE]
    assert not is_follow_up("and what?", [])
    assert is_follow_up("And then?", history)
    assert is_follow_up("How long did it last?", history)
    assert not is_follow_up("When will comet C/2026 V3 Tolvik reach the Sun?", history)
    assert not is_follow_up("How much flood damage did insurers estimate in the valley?", history)


def test_salient_terms_put_names_first() -> None:
    assert salient_terms("the strike at the Port of Velmora ended")[:2] == ["Port", "Velmora"]


def test_scope_narrows_to_the_story_and_falls_back_when_empty(corpus_store: Any) -> None:
    from index.search import Searcher
    from index.store import Filters
    from service.conversation import resolve, scope, topic_filters

    searcher = Searcher(corpus_store, corpus_store.embedder)
    titles = {m.id: m.title for m in corpus_store.list_articles(Filters())}
    story = topic_filters(searcher, "Velmora Maritime Museum reopening renovation", None)
    assert story is not None and 0 < len(story.article_ids) < len(titles)
    assert any("Museum" in titles[a] for a in story.article_ids)
    assert topic_filters(searcher, "", None) is None
    given = Filters(article_ids=(story.article_ids[0], "not-in-story"), since="2026-01-01")
    narrowed = topic_filters(searcher, "Velmora Maritime Museum reopening renovation", given)
    assert narrowed is not None and narrowed.article_ids == (story.article_ids[0],) and narrowed.since == "2026-01-01"

    resolved = resolve(_turns(("user", "Tell me about the Velmora Maritime Museum"), ("user", "Who runs it?")))
    assert resolved.follow_up and resolved.last == "Who runs it?"
    seen: list[Any] = []
    scoped = scope(resolved, None, searcher, lambda q, f: seen.append(f) or [1])
    assert scoped is not None and scoped == seen[0]
    assert scope(resolved, None, searcher, lambda q, f: []) is None  # nothing in the story: whole index
    standalone = resolve(_turns(("user", "What is the museum?"),))
    assert scope(standalone, None, searcher, lambda q, f: [1]) is None

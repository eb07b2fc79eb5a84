"""Multi-turn chat: the last user message, and for a follow-up, the story it continues.

A follow-up such as "and what did the union say?" names nothing that search can find. When the
last user message reads as a follow-up (a cue like "and"/"what about", a personal pronoun, or
too few words of its own; a message that brings new names and no cue is a new topic), the salient
terms of the earlier turns (names first, most recent turn first) find the story's articles, and
the follow-up is answered from those articles only (``scope``), falling back to the whole index
when that finds nothing. Adding those terms to the question text instead was measured as well
and helped less (bench/bench_followups.py); ``Resolved.question`` keeps that variant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from index.search import Searcher
from index.store import Filters
from service.citations import STOPWORDS, strip_markers

_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u2019-]*|\d[\d,.]*%?")
_CUES = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|what else|and what|same for|why|anything else|more on)\b",
    re.IGNORECASE,
)
# Personal pronouns point back at someone named earlier; demonstratives only count without new names.
_ANAPHORA = frozenset(["they", "them", "their", "theirs", "he", "him", "his", "she", "her", "hers", "it", "its"])
_PRONOUNS = _ANAPHORA | frozenset(["that", "those", "these", "this", "there", "then"])
# Words of asking that carry no topic.
_QUESTION_WORDS = frozenset(["tell", "know", "happen", "happened", "explain", "mean", "think", "else", "anything",
                             "something", "thing", "things", "much", "many", "long", "exactly", "please", "now",
                             "still", "again", "further", "like", "get", "got", "make", "made", "give", "go",
                             "sources", "source", "question", "answer", "yes", "ok", "okay", "thanks"])
_SOURCES = re.compile(r"\n\s*\**Sources\**:?\s*\n.*", re.DOTALL)
MIN_OWN_WORDS = 4


@dataclass(frozen=True)
class Turn:
    """One chat message reduced to what retrieval needs."""

    role: str
    content: str


def _key(word: str) -> str:
    w = word.lower().strip("'\u2019.,").removesuffix("'s").removesuffix("\u2019s")
    return w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w


def _words(text: str) -> list[str]:
    return [w.strip("'\u2019.,") for w in _WORD.findall(text)]


def _is_topical(word: str) -> bool:
    low = word.lower()
    return len(low) > 1 and low not in STOPWORDS and low not in _QUESTION_WORDS and low not in _PRONOUNS


def names(text: str) -> list[str]:
    """Capitalised words and numbers (not sentence-initial question words), in order."""
    out: list[str] = []
    for i, word in enumerate(_words(text)):
        if not _is_topical(word):
            continue
        if word[0].isdigit() or (word[0].isupper() and (i > 0 or word.lower() not in STOPWORDS)):
            out.append(word)
    return out


def salient_terms(text: str) -> list[str]:
    """Names first, then other content words, each once (by a light stem), in text order."""
    seen: set[str] = set()
    out: list[str] = []
    for word in names(text) + _words(text):
        key = _key(word)
        if _is_topical(word) and key not in seen:
            seen.add(key)
            out.append(word)
    return out


def is_follow_up(question: str, history: Sequence[str]) -> bool:
    """Does ``question`` lean on earlier turns to be understood?"""
    if not history:
        return False
    words = _words(question)
    if _CUES.match(question) or any(w.lower() in _ANAPHORA for w in words):
        return True
    known = {_key(w) for text in history for w in names(text)}
    if any(_key(w) not in known for w in names(question)):
        return False  # it brings names of its own: a new topic
    topical = [w for w in words if _is_topical(w)]
    return any(w.lower() in _PRONOUNS for w in words) or len(topical) < MIN_OWN_WORDS


def _context(turns: Sequence[Turn]) -> list[list[str]]:
    """Candidate terms from earlier turns, best first.

    Names in the latest question, then names in the latest answer (who/what it found), then the
    other words of each question, latest first.
    """
    questions = [t.content for t in reversed(turns) if t.role == "user" and t.content.strip()]
    answers = [strip_markers(_SOURCES.sub("", t.content))
               for t in reversed(turns) if t.role == "assistant" and t.content]
    groups = [names(q) for q in questions[:1]] + [names(a) for a in answers[:1]]
    groups += [salient_terms(q) for q in questions]
    return groups


@dataclass(frozen=True)
class Resolved:
    """What a chat asks: ``question`` (the last message, expanded when it is a follow-up) and
    ``topic`` (the earlier turns' salient terms, "" when the question stands alone)."""

    last: str
    question: str
    topic: str

    @property
    def follow_up(self) -> bool:
        """True when earlier turns were needed."""
        return bool(self.topic)


def resolve(turns: Sequence[Turn], *, max_terms: int = 6, max_chars: int = 0) -> Resolved:
    """Read the conversation: the last user message and, for a follow-up, the earlier topic."""
    users = [i for i, t in enumerate(turns) if t.role == "user" and t.content.strip()]
    if not users:
        return Resolved("", "", "")
    last = turns[users[-1]].content.strip()
    earlier = turns[: users[-1]]
    history = [t.content for t in earlier if t.role in ("user", "assistant") and t.content]
    if not is_follow_up(last, history):
        return Resolved(last, last, "")
    own = {_key(w) for w in _words(last)}
    terms: list[str] = []
    topic: list[str] = []
    for group in _context(earlier):
        for term in group:
            if term not in topic:
                topic.append(term)
            key = _key(term)
            if key not in own and len(terms) < max_terms:
                own.add(key)
                terms.append(term)
    question = f"{last} (context: {' '.join(terms)})" if terms else last
    return Resolved(last, question[:max_chars] if max_chars else question, " ".join(topic))


def standalone_question(turns: Sequence[Turn], *, max_terms: int = 6, max_chars: int = 0) -> str:
    """The last user message, expanded with earlier context when it is a follow-up."""
    return resolve(turns, max_terms=max_terms, max_chars=max_chars).question


def scope(resolved: Resolved, filters: Filters | None, searcher: Searcher,
          retrieve: Callable[[str, Filters | None], Sequence[object]]) -> Filters | None:
    """Filters for answering ``resolved.last``: within the earlier topic's articles when that
    finds evidence (``retrieve``), else as given (a false follow-up must not lose its answer)."""
    scoped = topic_filters(searcher, resolved.topic, filters)
    if scoped is filters or not retrieve(resolved.last, scoped):
        return filters
    return scoped


def topic_filters(searcher: Searcher, topic: str, filters: Filters | None, *, k: int = 8,
                  min_relevance: float = 0.0, keep_ratio: float = 0.75) -> Filters | None:
    """``filters`` narrowed to the articles the earlier turns were about (unchanged if none found)."""
    if not topic:
        return filters
    found = searcher.search(topic, filters, k, min_relevance=min_relevance)
    best = max((e.relevance for e in found), default=0.0)
    # Articles of the sentences close to the best match: the story, not everything nearby.
    ids = tuple(dict.fromkeys(e.article_id for e in found if e.relevance >= best * keep_ratio))
    if not ids:
        return filters
    if filters is not None and filters.article_ids:
        ids = tuple(i for i in filters.article_ids if i in ids) or filters.article_ids
    return replace(filters or Filters(), article_ids=ids)

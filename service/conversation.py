"""Multi-turn chat -> one standalone question for retrieval and for the answer prompt.

A follow-up such as "and what did the union say?" names nothing that search can find. When the
last user message reads as a follow-up (a cue like "and"/"what about", a pronoun, or too few
words of its own) it is expanded with the salient terms of the previous turns: names first, then
other content words, most recent turn first. A message that brings its own new names and no cue
is a new topic and stands as it is. ``bench/bench_followups.py`` measures the effect on retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from service.citations import STOPWORDS, strip_markers

_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u2019-]*|\d[\d,.]*%?")
_CUES = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|what else|and what|same for|why|anything else|more on)\b",
    re.IGNORECASE,
)
_PRONOUNS = frozenset(["they", "them", "their", "theirs", "he", "him", "his", "she", "her", "hers", "it", "its",
                       "that", "those", "these", "this", "there", "then"])
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
    if _CUES.match(question):
        return True
    known = {_key(w) for text in history for w in names(text)}
    if any(_key(w) not in known for w in names(question)):
        return False  # it brings names of its own: a new topic
    words = [w for w in _words(question) if _is_topical(w)]
    pronoun = any(w.lower() in _PRONOUNS for w in _words(question))
    return pronoun or len(words) < MIN_OWN_WORDS


def _context(turns: Sequence[Turn]) -> list[list[str]]:
    """Candidate terms from earlier turns, best first.

    The latest question's terms, then the names in the latest answer (who/what it found), then
    earlier questions: user questions weigh more than answers from a model that may be wrong.
    """
    questions = [t.content for t in reversed(turns) if t.role == "user" and t.content.strip()]
    answers = [strip_markers(_SOURCES.sub("", t.content))
               for t in reversed(turns) if t.role == "assistant" and t.content]
    groups = [salient_terms(q) for q in questions[:1]]
    groups += [names(a) for a in answers[:1]]
    groups += [salient_terms(q) for q in questions[1:]]
    return groups


def standalone_question(turns: Sequence[Turn], *, max_terms: int = 6, max_chars: int = 0) -> str:
    """The last user message, expanded with earlier context when it is a follow-up."""
    users = [i for i, t in enumerate(turns) if t.role == "user" and t.content.strip()]
    if not users:
        return ""
    last = turns[users[-1]].content.strip()
    earlier = turns[: users[-1]]
    history = [t.content for t in earlier if t.role in ("user", "assistant") and t.content]
    if not is_follow_up(last, history):
        return last
    own = {_key(w) for w in _words(last)}
    terms: list[str] = []
    for group in _context(earlier):
        for term in group:
            key = _key(term)
            if key not in own and len(terms) < max_terms:
                own.add(key)
                terms.append(term)
    if not terms:
        return last
    question = f"{last} (context: {' '.join(terms)})"
    return question[:max_chars] if max_chars else question

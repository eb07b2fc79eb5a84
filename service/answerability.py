"""Which retrieved sentences answer the question, and does any? (no model needed)

Retrieval finds sentences *about* the question's topic; an answer needs a sentence that states
the asked-for fact. Three general tests, none tuned to a question set:

1. **Constraints**: the question's names, numbers and dates must appear in the sentence or in
   its article (a question about "August" is not answered by October's figure); the sentence
   must be about the same period (``service.periods``) and party (``service.parties``), and not about
   a neighbouring fact (injured, not killed; net, not operating profit: ``service.contrasts``).
2. **Answer type**: "how many/much", "what rate/cost/..." need a number the question does not
   already hold; "when" needs a date or time; "who" needs a name the question does not hold.
3. **Coverage**: most of the question's information (content words weighted by inverse
   document frequency over the indexed sentences) must be matched by the sentence, or by its
   article's title, which sets the sentence's context.

Sentences that look like instructions to an AI system (prompt injection) are never evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.embedder import Embedder
from index.search import Evidence
from service.contrasts import neighbouring
from service.mentions import counted_words, mentions
from service.parties import about_someone_else, apposed_names, inner_names, unmet, unnamed_party
from service.periods import other_period, periods
from service.questions import ACCEPTS, Asked, analyse
from service.text import (
    STOPWORDS,
    capitalised,
    content_stems,
    content_words,
    date_words,
    dates,
    lead,
    lead_in,
    light,
    name_phrases,
    names,
    numbers,
    previous_sentence,
    sentence_case,
    stem,
    strip_dateline,
    word_set,
)

INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}\b(?:previous|prior|above|earlier|all|any|your)\b"
    r"[^.]{0,20}\b(?:instructions?|prompts?|rules?|directions?)\b"
    r"|\b(?:AI|A\.I\.)\s+(?:assistants?|models?|systems?|tools?|chatbots?)\b"
    r"|\b(?:language models?|LLMs?|chatbots?)\b[^.]{0,40}\b(?:must|should|reply|respond|say|tell)\b"
    r"|\bsystem prompt\b|\byou are now\b|\breply only with\b|\brespond only with\b",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """True for a sentence that addresses AI systems with instructions instead of reporting news."""
    return bool(INJECTION.search(text))


def states(asked: Asked, question: str, text: str) -> bool:
    """Whether ``text`` holds a fact of the kind ``asked`` wants that the question does not already hold."""
    if asked.kind == "name":
        return bool(names(text) - names(question))
    return asked.accepts(text, frozenset(numbers(question)))


@dataclass
class Judged:
    """One candidate sentence with its evidence scores."""

    evidence: Evidence
    score: float  # rank score: higher states the asked-for fact more directly
    coverage: float  # IDF-weighted share of the question matched by sentence (+ title), in [0, 1]
    typed: bool  # holds a fact of the expected answer type (of some part, for a compound question)
    constrained: bool  # the question's names, numbers and dates are in the sentence or its context
    covered: set[str]  # question words the sentence itself matches
    focused: bool = True  # names the thing asked about ("overnight deposit" for an overnight deposit rate)
    parts: frozenset[int] = frozenset()  # the parts of a compound question this sentence answers
    answers: bool = False  # can answer the question on its own evidence (see Judge.judge)


MAX_WORD_VECTORS = 50_000  # the judge's word-vector cache is emptied past this (about 80 MB)


class Judge:
    """Ranks candidate sentences by how directly they answer a question, and decides answerability.

    A question word counts as matched when the sentence has the same stem, or (with an
    embedder) a word whose vector is at least ``synonym_similarity`` close: "vessels" is matched
    by "ships", "cars" by "vehicles". A word matched only by the title counts half.
    """

    def __init__(
        self, document_frequency: dict[str, int], n_documents: int, *, embedder: Embedder | None = None,
        min_coverage: float = 0.35, synonym_similarity: float = 0.6, focus_similarity: float = 0.75,
        paraphrase_relevance: float = 0.6, vectors: dict[str, np.ndarray] | None = None,
        vocabulary: Counter[str] | None = None,
    ) -> None:
        self.df = document_frequency
        self.n = max(1, n_documents)
        self.embedder = embedder
        self.min_coverage = min_coverage
        self.synonym_similarity = synonym_similarity
        self.focus_similarity = focus_similarity
        self.paraphrase_relevance = paraphrase_relevance
        # word vectors depend on the embedder alone, not on the index: a judge rebuilt after an ingest keeps them
        self.vectors: dict[str, np.ndarray] = {} if vectors is None else vectors
        self.vocabulary: Counter[str] = vocabulary or Counter()  # the index's words, by how often each is used

    @classmethod
    def from_texts(cls, texts: Iterable[str], **options: Any) -> Judge:
        """IDF statistics over ``texts`` (the indexed sentences), and the words they use (``vocabulary``)."""
        df: dict[str, int] = {}
        words: Counter[str] = Counter()
        n = 0
        for text in texts:
            n += 1
            said = [w.lower() for w in content_words(text)]
            words.update(said)
            for s in {stem(w) for w in said}:
                df[s] = df.get(s, 0) + 1
        return cls(df, n, vocabulary=words, **options)

    def idf(self, stemmed: str) -> float:
        """Inverse document frequency; unseen words weigh most."""
        return math.log((self.n + 1) / (self.df.get(stemmed, 0) + 0.5))

    def _word_vectors(self, words: Sequence[str]) -> np.ndarray:
        # a local copy: another thread (a warm-up, another question) may empty the cache meanwhile
        known = {w: v for w in words if (v := self.vectors.get(w)) is not None}
        known.update(self._embed_words([w for w in dict.fromkeys(words) if w not in known]))
        return np.stack([known[w] for w in words])

    def _embed_words(self, new: Sequence[str]) -> dict[str, np.ndarray]:
        """Embed ``new`` words and keep their vectors."""
        assert self.embedder is not None
        if not new:
            return {}
        if len(self.vectors) > MAX_WORD_VECTORS:
            self.vectors.clear()
        found = dict(zip(new, self.embedder.embed(new, "document"), strict=True))
        self.vectors.update(found)
        return found

    def learn(self, batch: int = 512) -> int:
        """Embed, ahead of any question, the index's words not yet known, most used first (at most the cache's
        size); returns how many. A question's first synonym tests otherwise embed every word of its candidate
        sentences (about 0.3 s for the first question on a fresh index)."""
        if self.embedder is None:
            return 0
        room = max(0, MAX_WORD_VECTORS - len(self.vectors))
        new = [w for w, _ in self.vocabulary.most_common() if w not in self.vectors][:room]
        for i in range(0, len(new), batch):
            self._embed_words(new[i: i + batch])
        return len(new)

    def _prefetch(self, question_words: Iterable[str], candidate_words: Iterable[Sequence[str]]) -> None:
        """Embed the words the synonym tests may compare in one batch: one model call per question, not one
        per candidate sentence."""
        if self.embedder is not None:
            words = {w.lower() for ws in candidate_words for w in ws} | set(question_words)
            self._word_vectors(sorted(words))

    def _synonyms(self, missing: Sequence[str], words: Sequence[str], threshold: float | None = None) -> set[str]:
        """The ``missing`` question words that some word of ``words`` means nearly the same as."""
        if self.embedder is None or not missing or not words:
            return set()
        sims = self._word_vectors(missing) @ self._word_vectors(words).T
        limit = self.synonym_similarity if threshold is None else threshold
        return {w for w, row in zip(missing, sims, strict=True) if float(row.max()) >= limit}

    def _focused(self, focus: Sequence[str], matched: set[str], title: set[str]) -> bool:
        """Half the focus (by IDF weight) is named by the sentence or its title, and some of it by the sentence.

        ``matched`` and ``title`` hold light stems (plural and possessive endings only): a full stemmer
        makes "operator" name an "operating" profit.
        """
        words = {light(w) for w in focus}
        if not words:
            return True
        weight = {w: self.idf(stem(w)) for w in words}
        named = sum(weight[w] for w in words if w in matched or w in title)
        return bool(words & matched) and named >= 0.5 * sum(weight.values())

    def _other_kind(self, asked: Asked, body: str) -> bool:
        """The sentence names the asked-about head with other modifiers only: "the benchmark lending rate"
        for "what was the inflation rate". A head said without a modifier ("the rate of inflation") or with
        the question's own (or a near-synonym) leaves it open."""
        if not asked.head or not asked.modifiers:
            return False
        head = light(asked.head)
        tokens = _TOKEN.findall(body)  # words and punctuation: a modifier stands right before its noun
        before: list[str] = []
        for i, w in enumerate(tokens):
            if i and light(w) == head:
                for x in reversed(tokens[max(0, i - 2):i]):
                    if not x[0].isalpha():
                        break
                    if not x[0].isupper():  # not 'Lantern House'
                        before.append(x.lower())
        if not before:
            return False
        wanted = {light(m) for m in asked.modifiers}
        if wanted & {light(b) for b in before} or self._synonyms(sorted(wanted), sorted(set(before)),
                                                                 self.focus_similarity):
            return False
        return any(b.isalpha() and b not in STOPWORDS and b not in _GENERIC_MODIFIERS for b in before)

    def _coverage(self, text: str, matched: set[str], context: set[str]) -> float:
        """IDF-weighted share of ``text``'s content words matched (words only in the title count half)."""
        stems = content_stems(text)
        total = sum(self.idf(s) for s in stems)
        if not total:
            return 1.0
        return sum(self.idf(s) * (1.0 if s in matched else 0.5 if s in context else 0.0) for s in stems) / total

    def judge(
        self, question: str, evidence: Sequence[Evidence], articles: dict[str, str] | None = None,
    ) -> list[Judged]:
        """Score every candidate, best first; ``articles`` maps article ids to their full text."""
        question = sentence_case(question)
        asked = analyse(question)
        parts = asked.parts or (asked,)
        q_words = {stem(w): w.lower() for w in content_words(question)}
        focus_words = {w for p in parts for w in p.focus}
        q_words.update({stem(w): w for w in focus_words})
        # the main verb says which fact about the topic is asked ("jailed", "voted"): it weighs double
        verbs = {stem(p.verb) for p in parts if p.verb and p.verb not in _LIGHT_VERBS}
        weight = {s: self.idf(s) * (2.0 if s in verbs else 1.0) for s in q_words}
        total = sum(weight.values()) or 1.0
        need = names(question) | dates(question) | numbers(question) | periods(question)
        phrases = name_phrases(question)
        open_question = _is_open(question)
        name_stems = {stem(w) for w in names(question)}
        own_names = bool(phrases) and not asked.parts and not asked.comparative  # each part may name its own
        apposed = apposed_names(question, focus_words)
        lacking: dict[str, bool] = {}  # per article: it lacks some of the question's names, dates or numbers
        bodies = [strip_dateline(e.text) for e in evidence]
        # a list item is read with the line that introduces the list ("three shelters have opened:")
        reads = [f"{lead_in((articles or {}).get(e.article_id, ''), e.start)} {body}"
                 for e, body in zip(evidence, bodies, strict=True)]
        candidate_words = [content_words(read) for read in reads]
        self._prefetch(q_words.values(), candidate_words)
        out = []
        for e, body, read, words in zip(evidence, bodies, reads, candidate_words, strict=True):
            context = content_stems(e.title + " " + e.text[: len(e.text) - len(body)])  # title and dateline
            before = ""
            if _ANAPHORA.search(body[:60]):  # "By 6 p.m., that number had fallen to 23,000": read the sentence before
                before = previous_sentence((articles or {}).get(e.article_id, ""), e.start)
                context |= content_stems(before)
            stems = {stem(w) for w in words}
            exact = {s for s in q_words if _derived(s, stems)}
            missing = sorted(q_words[s] for s in set(q_words) - exact)
            vocabulary = sorted({w.lower() for w in words})
            near = {stem(w) for w in self._synonyms(missing, vocabulary)}
            in_title = (set(q_words) & context) - exact - near
            lexical = (sum(weight[s] for s in exact) + 0.5 * sum(weight[s] for s in in_title)) / total
            coverage = lexical + sum(weight[s] for s in near) / total
            # the focus must be named, or said in nearly the same word ("vehicles" for "cars")
            lights = {light(w) for w in words} | {light(w) for w in content_words(before)}  # 'that number' names it
            lights |= {w.lower()[:-1] for w in words if w.lower().endswith("ed")}  # 'was sentenced to': a sentence
            unnamed = sorted({w for w in focus_words if light(w) not in lights})
            named = lights | {light(w) for w in self._synonyms(unnamed, vocabulary, self.focus_similarity)}
            aliased = {w for w in unnamed if _HEAD_ALIASES.get(light(w), set()) & lights}  # "a term": a sentence
            named |= {light(w) for w in aliased}
            if "price" in unnamed and _PRICED.search(body):
                named.add("price")  # "closed at 39.10 euros", "sold for $2m": how English states a price
            if any(p.kind == "count" for p in parts) and unnamed:
                # what the sentence counts may be named more loosely: "a crowd of 14,212" for spectators
                counted = [w for w in counted_words(body) if w not in STOPWORDS]
                named |= {light(w) for w in self._synonyms(unnamed, counted)}
            title_lights = {light(w) for w in content_words(e.title)}
            if apposed:  # the story's ferry is named by its name: 'the Kalliroi' says 'the Kalliroi ferry'
                capitals = capitalised(body)
                named |= {light(w) for w, ns in apposed.items() if ns & capitals and light(w) in title_lights}
            # a focus said in other words is also matched: "a five-year term" matches the question's "sentence"
            said_otherwise = {stem(w) for w in aliased} - exact - near
            coverage += sum(weight.get(s, 0.0) * (0.5 if s in in_title else 1.0) for s in said_otherwise) / total
            stating = [states(p, question, body) for p in parts]
            answered = frozenset(
                i for i, p in enumerate(parts)
                if stating[i] and self._focused(p.focus, named, title_lights) and not self._other_kind(p, body)
                and (len(parts) == 1 or self._coverage(p.text, exact | near, context) >= self.min_coverage)
            )
            typed = any(stating)
            full = (articles or {}).get(e.article_id)
            key = e.article_id if full is not None else f"{e.article_id}:{e.sentence_index}"
            if key not in lacking:  # read once per article
                # the question's names and dates may be anywhere in the article, or in its publication date
                article = f"{e.title}\n{date_words(e.published_at)}\n{full if full is not None else e.text}"
                held = names(article) | dates(article) | numbers(article) | periods(article) | capitalised(e.title)
                lacking[key] = bool(unmet(need, held))
            main = f"{e.title}\n{lead(full or '')}"  # the story's topic and period
            constrained = not lacking[key] \
                and not about_someone_else(asked, phrases, body, inner_names(full or e.text)) \
                and not (own_names and unnamed_party(phrases, main, f"{e.text} {read} "
                                                f"{before or previous_sentence(full or '', e.start)}")) \
                and not other_period(question, body, e.published_at, main) \
                and not neighbouring(question, read)
            score = e.relevance + min(1.0, coverage) + (0.3 if typed else 0.0) + (0.2 if answered else 0.0)
            if answered and _close_to_answer(parts, answered, body, (exact | near) - name_stems):
                score += 0.25  # "was jailed for six years" beats "received money from him over four years"
            if open_question and e.sentence_index <= 1:
                score += 0.3  # "what happened in X?", "who is Y?": a news story's lead says it first
            if answered and asked.kind == "any" and _WHY.match(question) and _CAUSAL.search(body):
                score += 0.25  # a why-question prefers a sentence that gives a cause
            # the question's words must be matched (coverage), unless the sentence is a close paraphrase of it:
            # "work through the pile-up" against "clear the backlog" shares few words but a high similarity
            answers = typed and constrained and bool(answered) and (
                coverage >= self.min_coverage or e.relevance >= self.paraphrase_relevance)
            out.append(Judged(e, score, min(1.0, coverage), typed, constrained, exact | near,
                              focused=bool(answered), parts=answered, answers=answers))
        out.sort(key=lambda j: j.score, reverse=True)
        return out

    def select(self, question: str, judged: Sequence[Judged], limit: int = 3) -> list[Judged]:
        """The answer sentences: the best for each part of the question, plus any that add much unmatched weight
        when the question compares ("than", "both")."""
        question = sentence_case(question)
        answering = [j for j in judged if j.answers]
        if not answering:
            return []
        asked = analyse(question)
        picks = [answering[0]]
        for i in range(1, len(asked.parts)):  # each further part of a compound question gets its own answer
            if len(picks) >= limit or any(i in p.parts for p in picks):
                continue
            best = next((j for j in judged if i in j.parts and j.constrained), None)
            if best is not None and best not in picks:
                picks.append(best)
        if not asked.comparative or _compares(picks):
            return picks
        covered = set().union(*(p.covered for p in picks))
        q_stems = content_stems(question)
        total = sum(self.idf(w) for w in q_stems) or 1.0
        for j in answering:
            left = sum(self.idf(w) for w in q_stems - covered)
            if len(picks) >= limit or left < 0.3 * total:  # the picks already cover most of the question
                break
            gain = sum(self.idf(w) for w in j.covered - covered)
            if j not in picks and gain >= 0.5 * left:
                picks.append(j)
                covered |= j.covered
        return picks


# what news copy calls the same figure by another name ("sales" for revenue); a word vector does not know
_HEAD_ALIASES: dict[str, set[str]] = {  # light forms (no plural endings)
    "revenue": {"sale", "turnover"}, "sale": {"revenue", "turnover"}, "turnover": {"revenue", "sale"},
    "profit": {"earning", "income"}, "earning": {"profit", "income"}, "income": {"profit", "earning"},
    "salary": {"pay", "wage", "earning"}, "wage": {"pay", "salary"}, "fare": {"price", "ticket", "cost"},
    "price": {"cost", "fare"}, "fee": {"charge", "cost", "price"}, "fine": {"penalty"}, "toll": {"charge", "fee"},
    "attendance": {"crowd", "spectator"},
    "punishment": {"sentence", "fine", "term", "jail", "prison", "ban"}, "sentence": {"term"}, "term": {"sentence"},
}
_PRICED = re.compile(r"\b(?:at|for)\s+(?:about |around |roughly |nearly |just over |just under )?"
                     r"(?:[$\u20ac\u00a3\u00a5\u20b9]|\d[\d,.]*\s?(?:[$\u20ac\u00a3\u00a5]|[a-z]*\s?(?:euros?|dollars?|"
                     r"pounds?|pence|cents?|yen|crowns?|francs?|rupees?|yuan)\b))", re.IGNORECASE)


# verbs that stand for whatever the sentence reports ("how did the currency react?" is answered by "the
# crown rose 0.6%"): they get no extra weight
_LIGHT_VERBS = word_set("react reacted respond responded happen happened change changed do did fare fared")
_ANAPHORA = re.compile(r"\b(?:that|this|these|those|the) (?:number|figure|total|amount|count|tally|level|rate)\b"
                       r"|^(?:It|They|He|She|This|That|These|Those)\b")
_WHY = re.compile(r"\s*(?:why\b|what (?:prompted|caused|triggered|led to|sparked|drove|explains|was behind)\b)",
                  re.IGNORECASE)
_CAUSAL = re.compile(r"\b(?:because|due to|owing to|as a result|result of|caused by|triggered by|prompted by|"
                     r"driven by|led to|after|since|citing|blamed|so that|in order to|reason|following|amid|as)\b",
                     re.IGNORECASE)


_OPEN = re.compile(r"\s*(?:what(?:'s| is| has)? (?:happened|happening|going on|the latest|the news|the story)|"
                   r"what went on|tell me (?:about|more)|(?:give me )?(?:a |an )?(?:summary|overview|update) (?:of|on)|"
                   r"(?:any )?news (?:of|on|about))\b", re.IGNORECASE)
_DEFINE = re.compile(r"\s*(?:what|who)(?: is| are| was| were|'s)\s+(.+?)\s*\??\s*$", re.IGNORECASE)


def _is_open(question: str) -> bool:
    """A question that asks what a story is, not one fact in it: "what happened in X?", "tell me about
    Y", "who is Bence Varga?" (a name and nothing else)."""
    if _OPEN.match(question):
        return True
    named = _DEFINE.match(question)
    if named is None:
        return False
    return all(w[:1].isupper() or w.lower() in ("the", "of", "and", "&") for w in named.group(1).split())


def _derived(stemmed: str, stems: set[str]) -> bool:
    """A question word's stem is in ``stems``, itself or as its doer: "leads" for "leader", "invest" for "investor"."""
    if stemmed in stems or stemmed + "er" in stems or stemmed + "or" in stems:
        return True
    return len(stemmed) > 5 and stemmed.endswith(("er", "or")) and stemmed[:-2] in stems


def _close_to_answer(parts: Sequence[Asked], answered: frozenset[int], body: str, matched: set[str]) -> bool:
    """A figure of the asked kind stands within a few words of a matched question word (not a name):
    the duration right after "jailed for", the count right before "households"."""
    kinds = set().union(*(ACCEPTS.get(parts[i].kind, frozenset()) for i in answered))
    if not kinds or not matched:
        return False
    for m in mentions(body):
        if m.kind in kinds and content_stems(body[max(0, m.start - 40):m.end + 40]) & matched:
            return True
    return False


_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u2019-]*|[^\sA-Za-z\u00c0-\u024f]")
# words before a noun that do not say which one it is
_GENERIC_MODIFIERS = word_set(
    "new current latest total main overall final original exact actual maximum minimum highest lowest top key "
    "biggest largest smallest average annual monthly weekly daily its their his her our record official"
)


def _compares(picks: Sequence[Judged]) -> bool:
    """The picks already hold two figures to compare ("31 per cent ..., against 26 per cent a year earlier")."""
    figures = [m for j in picks for m in mentions(strip_dateline(j.evidence.text))
               if m.kind not in ("date", "year", "time")]
    return len(figures) >= 2

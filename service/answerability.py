"""Which retrieved sentences answer the question, and does any? (no model needed)

Retrieval finds sentences *about* the question's topic; an answer needs a sentence that states
the asked-for fact. Three general tests, none tuned to a question set:

1. **Constraints**: the question's names, numbers and dates must appear in the sentence or in
   its article (a question about "August" is not answered by October's figure); the sentence
   must be about the same period and not about a neighbouring fact (injured, not killed;
   net, not operating profit: ``service.contrasts``).
2. **Answer type**: "how many/much", "what rate/cost/..." need a number the question does not
   already hold; "when" needs a date or time; "who" needs a name the question does not hold.
3. **Coverage**: most of the question's information (content words weighted by inverse
   document frequency over the indexed sentences) must be matched by the sentence, or by its
   article's title, which sets the sentence's context.

Sentences that look like instructions to an AI system (prompt injection) are never evidence.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.embedder import Embedder
from index.search import Evidence
from index.sentences import split_sentences
from service.contrasts import neighbouring
from service.mentions import counted_words, mentions
from service.questions import ACCEPTS, Asked, actors, analyse

_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u2019-]*|\d[\d,.:/-]*%?")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
_CAPITAL = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"  # and accented capitals: "GDA\u0143SK"
_DATELINE = re.compile(  # "VELMORA, Nov 3 (Meridian Wire) - ", "LONDON (Reuters) -", "GDANSK, Poland \u2014 "
    rf"^[{_CAPITAL}][{_CAPITAL} .'\u2019-]+(?:, [A-Z][\w.]+(?: [A-Z][\w.]+)?)?(?:, [A-Z][a-z]{{2,8}}\.? \d{{1,2}})?"
    r"(?: \([^)]{1,80}\))? ?[-\u2013\u2014]+ ")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_MONTHS = _words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_DAYS = _words("monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow")
_TIME = re.compile(r"\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|am|pm)|\b\d{1,2}:\d\d\b|\b(?:1[89]|20)\d\d\b", re.I)
_NUMBER_WORDS = _words(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen twenty "
    "thirty forty fifty sixty seventy eighty ninety hundred thousand million billion dozen half "
    "quarter double twice"
)
_QUANTITY_NOUNS = _words(
    "number amount rate price cost costs fee fees salary population score total percentage share "
    "proportion margin vote figure size value budget sum"
)
_QUESTION_WORDS = _words(
    "how what which who whom whose when where why many much long far old large big high "
    "does did do is was were are will would can could "
    "tell explain describe summarise summarize happen happens happened happening occur occurs occurred know"
)
STOPWORDS = _words(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this "
    "that these those he she they them his her their there here which who whom whose what when where why "
    "how not no do does did has have had will would can could should may might must shall than then so "
    "such also about into over after before said says say according per while during up down out off "
    "very more most some any all each both other another just only our we you your i me my us one roughly "
    "approximately nearly almost around exactly actually really currently now"
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


@functools.lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    from nltk.stem.snowball import SnowballStemmer  # no data download needed

    return SnowballStemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of a lower-cased word without possessive endings."""
    w = bare(word.strip("'\u2019"))
    return w.replace(",", "") if w[:1].isdigit() else str(_stemmer().stem(w))


def bare(word: str) -> str:
    """A word lower-cased, with its possessive ending taken off: "Brenmark's" -> "brenmark"."""
    return word.lower().replace("\u2019", "'").removesuffix("'s").rstrip("'")


def sentence_case(question: str) -> str:
    """A question typed in capitals or Title Case, lower-cased (its first letter kept): capitals then
    mark no names ("HOW MANY PEOPLE WERE EVACUATED" asks for no name 'People')."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", question) if len(w) > 1]
    if len(words) < 3 or sum(w[0].isupper() for w in words) < 0.8 * len(words):
        return question
    low = question.lower()
    return low[:1].upper() + low[1:]


def strip_dateline(text: str) -> str:
    """A lead sentence without its 'CITY, Nov 3 (Agency) - ' dateline, which is context, not content."""
    return _DATELINE.sub("", text, count=1)


def content_words(text: str) -> list[str]:
    """The words that carry meaning (no stopwords, no question words), in order; a hyphenated word also
    gives its parts ('third-quarter' -> third-quarter, third, quarter)."""
    out = []
    for w in _WORD.findall(text):
        for part in (w, *w.split("-")[: 4 if "-" in w else 0]):
            low = part.lower()
            if (len(part) > 1 or part.isdigit()) and low not in STOPWORDS and low not in _QUESTION_WORDS:
                out.append(part)
    return out


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning."""
    return {stem(w) for w in content_words(text)}


def numbers(text: str) -> set[str]:
    """Digit groups with thousands separators removed ('2,100' -> '2100', '4.25%' -> '4.25'); not the digit
    of a period's short name ('Q3', 'H1': ``_ordinals`` reads those)."""
    return {d.replace(",", "").rstrip(".:") for d in _DIGITS.findall(_SHORT_PERIOD.sub(" ", text))}


_SHORT_PERIOD = re.compile(r"\b(?:Q[1-4]|H[12])\b")


def names(text: str) -> set[str]:
    """Capitalised words that are not the first word of the text (proper names, roughly)."""
    words = _WORD.findall(text)
    return {
        bare(w)
        for i, w in enumerate(words)
        if i > 0 and w[0].isupper() and w.lower() not in STOPWORDS and w.lower() not in _QUESTION_WORDS
        and w.lower().rstrip(".") not in _MONTHS and w.lower() not in _DAYS and not _SHORT_PERIOD.fullmatch(w)
    }


def dates(text: str) -> set[str]:
    """Month (as three letters: 'November' -> 'nov') and weekday words in ``text``."""
    found = set()
    for word in (part for token in _WORD.findall(text) for part in token.split("-")):  # "July-September"
        if not word:
            continue
        w = word.lower().rstrip(".")
        if w.endswith("days") and w[:-1] in _DAYS:
            w = w[:-1]  # "on Saturdays"
        if w in ("may", "march") and not word[0].isupper():
            continue  # the verbs, not the months
        if w in _MONTHS:
            found.add(w[:3])
        elif w in _DAYS:
            found.add(w)
    return found


_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2013\u2014]|\d{1,2}[.)])\s+")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")


def lead_in(article: str, start: int) -> str:
    """For a list item ('- Kessling Valley Sports Centre, which accepts pets'), the line that introduces
    the list ('The province has opened three emergency shelters:'); '' for any other sentence."""
    if not article or start <= 0 or start > len(article):
        return ""
    line_start = article.rfind("\n", 0, start) + 1
    if not _BULLET.match(article[line_start:start + 3]):
        return ""
    lines = article[:line_start].rstrip("\n").split("\n")
    for line in reversed(lines[-30:]):  # over the items before this one, up to the lead-in line
        if not line.strip() or _BULLET.match(line):
            continue
        return line.strip() if line.rstrip().endswith(":") else ""
    return ""


def _date_words(published_at: str) -> str:
    """'2026-11-05T...' -> '5 November 2026', so a question's month and year can match the article date."""
    try:
        year, month, day = int(published_at[:4]), int(published_at[5:7]), int(published_at[8:10])
        return f"{day} {_MONTH_NAMES[month - 1]} {year}"
    except (ValueError, IndexError):
        return ""


def name_phrases(text: str) -> list[set[str]]:
    """Runs of capitalised words ('Ostrand Mutual', 'Bank of Brenmark'), each as its set of lower-case words."""
    words = _WORD.findall(text)
    runs: list[set[str]] = []
    current: set[str] = set()
    for i, w in enumerate(words):
        low = bare(w)
        proper = (i > 0 and w[0].isupper() and low not in STOPWORDS and low not in _QUESTION_WORDS
                  and low.rstrip(".") not in _MONTHS and low not in _DAYS)
        if proper:
            current.add(low)
        elif current and low in ("of", "and", "&", "de", "van", "von"):
            continue
        elif current:
            runs.append(current)
            current = set()
    if current:
        runs.append(current)
    return runs


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


class Judge:
    """Ranks candidate sentences by how directly they answer a question, and decides answerability.

    A question word counts as matched when the sentence has the same stem, or (with an
    embedder) a word whose vector is at least ``synonym_similarity`` close: "vessels" is matched
    by "ships", "cars" by "vehicles". A word matched only by the title counts half.
    """

    def __init__(
        self, document_frequency: dict[str, int], n_documents: int, *, embedder: Embedder | None = None,
        min_coverage: float = 0.35, synonym_similarity: float = 0.6, focus_similarity: float = 0.75,
        paraphrase_relevance: float = 0.6,
    ) -> None:
        self.df = document_frequency
        self.n = max(1, n_documents)
        self.embedder = embedder
        self.min_coverage = min_coverage
        self.synonym_similarity = synonym_similarity
        self.focus_similarity = focus_similarity
        self.paraphrase_relevance = paraphrase_relevance
        self._vectors: dict[str, np.ndarray] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[str], **options: Any) -> Judge:
        """IDF statistics over ``texts`` (the indexed sentences)."""
        df: dict[str, int] = {}
        n = 0
        for text in texts:
            n += 1
            for s in content_stems(text):
                df[s] = df.get(s, 0) + 1
        return cls(df, n, **options)

    def idf(self, stemmed: str) -> float:
        """Inverse document frequency; unseen words weigh most."""
        return math.log((self.n + 1) / (self.df.get(stemmed, 0) + 0.5))

    def _word_vectors(self, words: Sequence[str]) -> np.ndarray:
        assert self.embedder is not None
        new = [w for w in dict.fromkeys(words) if w not in self._vectors]
        if new:
            if len(self._vectors) > 50_000:
                self._vectors.clear()
            for word, vec in zip(new, self.embedder.embed(new, "document"), strict=True):
                self._vectors[word] = vec
        return np.stack([self._vectors[w] for w in words])

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
        need = names(question) | dates(question) | numbers(question) | _periods(question)
        phrases = name_phrases(question)
        open_question = _is_open(question)
        name_stems = {stem(w) for w in names(question)}
        own_names = bool(phrases) and not asked.parts and not asked.comparative  # each part may name its own
        apposed = _apposed_names(question, focus_words)
        unmet: dict[str, bool] = {}  # per article: it lacks some of the question's names, dates or numbers
        out = []
        for e in evidence:
            body = strip_dateline(e.text)
            # a list item is read with the line that introduces the list ("three shelters have opened:")
            read = f"{lead_in((articles or {}).get(e.article_id, ''), e.start)} {body}"
            words = content_words(read)
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
            named |= {w for w in map(light, unnamed) if _HEAD_ALIASES.get(w, set()) & lights}
            if "price" in unnamed and _PRICED.search(body):
                named.add("price")  # "closed at 39.10 euros", "sold for $2m": how English states a price
            if any(p.kind == "count" for p in parts) and unnamed:
                # what the sentence counts may be named more loosely: "a crowd of 14,212" for spectators
                counted = [w for w in counted_words(body) if w not in STOPWORDS]
                named |= {light(w) for w in self._synonyms(unnamed, counted)}
            title_lights = {light(w) for w in content_words(e.title)}
            # the story's ferry is named by its name: 'the Kalliroi' says 'the Kalliroi ferry'
            capitals = _capitalised(body)
            named |= {light(w) for w, ns in apposed.items() if ns & capitals and light(w) in title_lights}
            # a focus said in other words is matched: "a five-year term" matches the question's "sentence"
            aliased = {stem(w) for w in unnamed if _HEAD_ALIASES.get(light(w), set()) & lights} - exact - near
            coverage += sum(weight.get(s, 0.0) * (0.5 if s in in_title else 1.0) for s in aliased) / total
            stating = [states(p, question, body) for p in parts]
            answered = frozenset(
                i for i, p in enumerate(parts)
                if stating[i] and self._focused(p.focus, named, title_lights) and not self._other_kind(p, body)
                and (len(parts) == 1 or self._coverage(p.text, exact | near, context) >= self.min_coverage)
            )
            typed = any(stating)
            full = (articles or {}).get(e.article_id)
            key = e.article_id if full is not None else f"{e.article_id}:{e.sentence_index}"
            if key not in unmet:  # read once per article
                # the question's names and dates may be anywhere in the article, or in its publication date
                article = f"{e.title}\n{_date_words(e.published_at)}\n{full if full is not None else e.text}"
                held = names(article) | dates(article) | numbers(article) | _periods(article) | _capitalised(e.title)
                unmet[key] = bool(_unmet(need, held))
            main = f"{e.title}\n{_lead(full or '')}"  # the story's topic and period
            constrained = not unmet[key] \
                and not _about_someone_else(asked, phrases, body, _inner_names(full or e.text)) \
                and not (own_names and _unnamed(phrases, main, f"{e.text} {read} "
                                                f"{before or previous_sentence(full or '', e.start)}")) \
                and not _other_period(question, body, e.published_at, main) \
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
_LIGHT_VERBS = _words("react reacted respond responded happen happened change changed do did fare fared")
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


@functools.lru_cache(maxsize=256)
def _lead(article: str) -> str:
    """An article's opening: its first two sentences (the first may be an "(Updated ...)" line)."""
    return " ".join(x.text for x in split_sentences("", article[:1200])[:2])


@functools.lru_cache(maxsize=512)
def _capitalised(text: str) -> frozenset[str]:
    """Every capitalised word of ``text``, the first one too (``names`` skips it: a sentence's first word
    is capitalised anyway, a title's first word is often a name)."""
    return frozenset(bare(w) for w in _WORD.findall(text) if w[0].isupper())


def _unnamed(phrases: list[set[str]], opening: str, text: str) -> bool:
    """The question names a party or place that is not the story's topic (its title and lead),
    and ``text`` (the sentence and the one before it) does not name it: "What share did Green Pomerania
    win?" is not answered by the winner's share in the lead, nor a region's injured by the national toll."""
    named = _capitalised(text)  # a new party is named, not said by a common noun ('bus makers' for Ruolong Bus)
    said = {bare(w) for w in _WORD.findall(text)}  # a party of the story's own ('the union' of Meridian Motors)
    topic = _capitalised(opening)
    for phrase in phrases:
        phrase = {w for w in phrase if not dates(w)}  # 'April-June' is a period, no party
        own = _unmet(phrase, topic)  # 'South Africans' is the topic of a story about South Africa
        present = said if len(own) < len(phrase) else named
        if own and len(_unmet(own, present)) == len(own):
            return True
    return False


def previous_sentence(article: str, start: int) -> str:
    """The sentence before the one at ``start`` in ``article``."""
    before = split_sentences("", article[max(0, start - 600):start])
    return before[-1].text if before else ""


def _apposed_names(question: str, focus: AbstractSet[str]) -> dict[str, frozenset[str]]:
    """Each focus word with the name it qualifies in the question: 'ferry' in 'the Kalliroi ferry' or 'the ferry
    Kalliroi' -> {'kalliroi'}."""
    words = _WORD.findall(question)
    out: dict[str, frozenset[str]] = {}
    for i, w in enumerate(words):
        if w.lower() not in focus:
            continue
        near = [x for x in (words[i - 1] if i > 1 else "", words[i + 1] if i + 1 < len(words) else "")
                if x[:1].isupper() and bare(x) not in STOPWORDS]
        if near:
            out[w.lower()] = frozenset(bare(x) for x in near)
    return out


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
_GENERIC_MODIFIERS = _words(
    "new current latest total main overall final original exact actual maximum minimum highest lowest top key "
    "biggest largest smallest average annual monthly weekly daily its their his her our record official"
)


def _compares(picks: Sequence[Judged]) -> bool:
    """The picks already hold two figures to compare ("31 per cent ..., against 26 per cent a year earlier")."""
    figures = [m for j in picks for m in mentions(strip_dateline(j.evidence.text))
               if m.kind not in ("date", "year", "time")]
    return len(figures) >= 2


@functools.lru_cache(maxsize=256)
def _inner_names(article: str) -> frozenset[str]:
    """Lower-case words written with a capital inside a sentence (names), not only at its start."""
    out = set()
    for m in _WORD.finditer(article):
        if m.group()[0].isupper() and m.start() > 0 and m.group().lower() not in STOPWORDS:
            before = article[max(0, m.start() - 8):m.start()].rstrip()  # the few characters before, not the text
            if before and before[-1] not in ".!?:;\"\u201c\u201d'\u2018\u2019\u2014\u2013-(\n":
                out.add(bare(m.group()))
    return frozenset(out)


def _about_someone_else(asked: Asked, phrases: list[set[str]], body: str,
                        known: frozenset[str] = frozenset()) -> bool:
    """A sentence whose actor is another party than the question's named subject.

    "What rate did Ostrand Mutual announce?" is not answered by "Kestrel Savings Bank will raise its
    rate to 6.10%", although both lenders appear in the same article: when the sentence does not
    name the question's subject and its grammatical subject is some other named party, it is about
    that party ("He hit 14 aces" names nobody else: no decision). For a question asking for a name,
    the new name is the answer: no check.
    """
    if asked.kind == "name" or not asked.subject or asked.parts:  # a compound question's parts may ask about others
        return False
    if asked.subject & {bare(w) for w in _WORD.findall(body)}:
        return False
    asked_about = set().union(*phrases) if phrases else set()
    found = actors(body, known)  # "Sales in North America rose 11%, while Europe grew 2%": North America is asked about
    return bool(found) and not found & asked_about  # the sentence's grammatical subjects are other named parties


_ORDINAL = (r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|final|opening|1st|2nd|3rd|"
            r"4th|5th|6th|7th|8th|9th|10th")
_PERIOD = (r"quarter|half|round|day|week|month|year|leg|stage|set|period|reading|term|game|match|season|innings|"
           r"half-year|time")
_ORDINAL_NOUN = re.compile(rf"\b({_ORDINAL})[\s-]+({_PERIOD})s?\b", re.IGNORECASE)
_QUARTER = re.compile(r"\bQ([1-4])\b")
_HALF = re.compile(r"\bH([12])\b")
_FULL_YEAR = re.compile(r"\b(?:full[- ]year|annual|yearly|12-month)\b(?!\s(?:increase|rise|growth|gain|decline|fall|"
                        r"drop|change|rate|inflation|pace|basis|terms))", re.IGNORECASE)  # not a year-on-year change
_YEAR = re.compile(r"(?<![\w.,-])(1[89]\d\d|20\d\d)(?![\w-])")
_RELATIVE_YEAR = re.compile(r"\b(last|this|next|previous|coming) year\b", re.IGNORECASE)
_NO_UNIT = r"(?![\d,.%\u00b0]|\s?(?:C|F|degrees?|per ?cent|percent|km|mm|cm|m|kg|mph|metres?|meters?)\b)"
_UNDER = re.compile(rf"\b(?:under|below|younger than|less than|fewer than|up to|aged up to)\s+(\d+){_NO_UNIT}",
                    re.IGNORECASE)  # age bands and groups of people, not temperatures or distances
_OVER = re.compile(rf"\b(?:over|above|older than|more than|at least)\s+(\d+){_NO_UNIT}|\b(\d+)\s*(?:\+|and over|"
                   r"or over|and above|or older|and older|or more)", re.IGNORECASE)


def _bounds(text: str) -> set[tuple[str, str]]:
    """('65', 'under') for 'under 65', ('65', 'over') for '65 and over' or 'over 65'."""
    found = {(n, "under") for n in _UNDER.findall(text)}
    found |= {(a or b, "over") for a, b in _OVER.findall(text)}
    return found


_BARE_PERIOD = re.compile(r"\b(?:the|this) (?:quarter|period|month|half|year|season)\b", re.IGNORECASE)
_SMALL_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_YEARS_AGO = re.compile(r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten) years? ago\b", re.IGNORECASE)
_ORDINAL_WORDS = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth", "6th": "sixth",
                  "7th": "seventh", "8th": "eighth", "9th": "ninth", "10th": "tenth"}


def _ordinals(text: str) -> set[tuple[str, str]]:
    """('second', 'quarter') for 'second quarter', 'second-quarter', '2nd quarter' or 'Q2';
    ('full', 'year') for 'full-year' or 'annual' results."""
    found = {(_ORDINAL_WORDS.get(o.lower(), o.lower()), n.lower()) for o, n in _ORDINAL_NOUN.findall(text)}
    found |= {(("first", "second", "third", "fourth")[int(q) - 1], "quarter") for q in _QUARTER.findall(text)}
    found |= {(("first", "second")[int(h) - 1], "half") for h in _HALF.findall(text)}
    if _FULL_YEAR.search(text):
        found.add(("full", "year"))
    return found


def _month_names(text: str) -> set[str]:
    return {d for d in dates(text) if d not in _DAYS}


_NUMBERED = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _periods(text: str) -> set[str]:
    """Numbered periods a text names ('second quarter', 'first half'): a question about the first quarter
    is not answered by an article that speaks only of the second."""
    return {f"{o} {n}" for o, n in _ordinals(text) if o in _NUMBERED}


def years(text: str, published_at: str = "") -> set[int]:
    """Years a text speaks of: written out, or 'last year' / 'next year' counted from its publication date."""
    found = {int(y) for y in _YEAR.findall(text)}
    if published_at[:4].isdigit():
        now = int(published_at[:4])
        for word in _RELATIVE_YEAR.findall(text):
            found.add(now + {"last": -1, "previous": -1, "this": 0, "next": 1, "coming": 1}[word.lower()])
        for count in _YEARS_AGO.findall(text):
            found.add(now - (int(count) if count.isdigit() else _SMALL_NUMBERS.index(count.lower()) + 1))
    return found


def _other_period(question: str, body: str, published_at: str, main: str = "") -> bool:
    """A sentence about another period, rate or age band than the question's. ``main`` is the article's
    title and lead: a sentence that names no period of its own speaks of the article's."""
    return (_other_numbered_period(question, body, published_at, main) or _other_side(question, body)
            or _other_rate(question, body) or _other_month(question, body, main)
            or _other_year(question, body, published_at))


_REPORTING_PERIODS = frozenset({"quarter", "half", "half-year", "year"})


def _other_numbered_period(question: str, body: str, published_at: str, main: str) -> bool:
    """The third quarter (or the full year) for a question about the second; "120,000 visitors a year" for
    one about the first day; "revenue for the quarter" in a second-quarter story for the first quarter."""
    asked = {(o, n) for o, n in _ordinals(question) if o != "last"}  # "last quarter": the latest one
    if not asked:
        return False
    said = {(o, n) for o, n in _ordinals(body) if o != "last"}  # "weighed on results last year": no period of its own
    nouns = {n for _, n in asked}
    if nouns & _REPORTING_PERIODS:  # a half-year figure is not a quarter's: any reporting period tells
        nouns |= _REPORTING_PERIODS
    if {(o, n) for o, n in said if n in nouns or (o, n) == ("full", "year")} and not asked & said:
        return True
    if said:
        return False
    if _rates(body):
        return True
    if main and not years(body, published_at):
        told = {(o, n) for o, n in _ordinals(main) if n in nouns}
        return bool(told) and not asked & told
    return False


def _other_side(question: str, body: str) -> bool:
    """"aged 65 and over" is not answered by "people under 65"."""
    said = _bounds(body)
    return any((n, "over" if side == "under" else "under") in said and (n, side) not in said
               for n, side in _bounds(question))


def _other_rate(question: str, body: str) -> bool:
    """"each year" is not answered by "11,000 vehicles a day"."""
    asked, said = _rates(question), _rates(body)
    return bool(asked and said and not asked & said)


def _other_month(question: str, body: str, main: str) -> bool:
    """"in June" is not answered by "in August, from 3.8% in July". A sentence's bare "the quarter", or a
    figure with no month or year at all, speaks of the article's own months (title and lead)."""
    asked, said = _month_names(question), _month_names(body)
    if not asked:
        return False
    if (said and _BARE_PERIOD.search(body)) or (not said and not years(body)):
        said |= _month_names(main)
    return bool(said) and not asked & said


def _other_year(question: str, body: str, published_at: str) -> bool:
    """2025 ('last year', in a 2026 article) for a question about 2024."""
    asked = years(question)
    if not asked:
        return False
    said = years(body, published_at)
    if asked & said:
        return False  # the sentence names the asked year, if only as a comparison ("3.84 in 2023/24")
    baseline = _BASELINE_YEAR.findall(body) + _SINCE_YEAR.findall(body)
    return bool(said - {int(y) for y in baseline})


# a year a figure is compared with: "6,184 admissions, up 27% from 4,869 in 2025" is 2026's figure
_BASELINE_YEAR = re.compile(r"\b(?:from|than|compared (?:with|to)|against|versus|vs\.?)\s"
                            r"(?:(?:[^.;,]|(?<=\d)[.,](?=\d)){0,30}?\s)?(?:in |of )?"
                            r"(1[89]\d\d|20\d\d)\b(?!\s?(?:to|and|-|\u2013)\s?\d)", re.IGNORECASE)


# a year a record or a run is counted from: "the lowest since the city began publishing figures in 1983"
_SINCE_YEAR = re.compile(r"\bsince\b[^.;,]{0,60}?\b(1[89]\d\d|20\d\d)\b", re.IGNORECASE)


_RATE = re.compile(r"\b(?:a|an|per|each|every)\s+(hour|day|week|month|quarter|year)\b"
                   r"(?!\s+(?:earlier|ago|before|later|after|on|from|since|into|in which|when|of)\b)"
                   r"|\b(hourly|daily|weekly|monthly|quarterly|yearly|annually)\b", re.IGNORECASE)
_RATE_ADVERBS = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter",
                 "yearly": "year", "annually": "year"}


def _rates(text: str) -> set[str]:
    """The time units a text counts per: 'a day', 'each year', 'monthly' -> day, year, month."""
    return {unit.lower() if unit else _RATE_ADVERBS[adverb.lower()] for unit, adverb in _RATE.findall(text)}


def light(word: str) -> str:
    """A word with only its possessive and plural endings taken off: 'shifts' -> 'shift', 'bodies' -> 'body'."""
    w = bare(word)
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


# names a question may use for what an article calls otherwise
_ALIASES = {"uk": {"britain", "british", "england", "english", "scotland", "scottish", "wales", "welsh"},
            "britain": {"uk", "british"}, "us": {"america", "american", "americans"},
            "america": {"us", "american", "americans"}, "eu": {"european", "europe"}}


def _unmet(need: AbstractSet[str], have: AbstractSet[str]) -> set[str]:
    """The question's names, dates and numbers that the article does not hold (allowing common aliases, and
    a people for its place: 'South Africans' for South Africa, 'Kenya' for Kenyan)."""
    missing = {n for n in need - have if not _ALIASES.get(n, set()) & have}
    if not missing:
        return missing
    places = {p for h in have if h[:1].isalpha() for p in _places(h)}
    return {n for n in missing if n not in places and not _places(n) & (have | places)}  # Danes: Danish


_DEMONYM_ENDINGS = ("vians", "ians", "ans", "ns", "ese", "vian", "ian", "an", "n", "is", "i", "s")  # Peru: Peruvian


# peoples whose names are not their place's name plus an ending
_IRREGULAR_PEOPLES = {
    "french": "france", "dutch": "netherlands", "british": "britain", "english": "england", "scottish": "scotland",
    "welsh": "wales", "irish": "ireland", "swiss": "switzerland", "greek": "greece", "spanish": "spain",
    "danish": "denmark", "swedish": "sweden", "finnish": "finland", "polish": "poland", "turkish": "turkey",
    "norwegian": "norway", "portuguese": "portugal", "filipino": "philippines", "thai": "thailand",
    "lebanese": "lebanon", "maltese": "malta", "czech": "czechia", "slovak": "slovakia", "belgian": "belgium",
    "hungarian": "hungary", "ukrainian": "ukraine", "argentine": "argentina", "argentinian": "argentina",
    "brazilian": "brazil", "egyptian": "egypt", "iraqi": "iraq", "icelandic": "iceland", "luxembourgish": "luxembourg",
    "danes": "denmark", "dane": "denmark", "swedes": "sweden", "swede": "sweden", "finns": "finland", "finn": "finland",
    "poles": "poland", "pole": "poland", "scots": "scotland", "turks": "turkey", "brits": "britain",
    "spaniards": "spain", "spaniard": "spain", "greeks": "greece",
}


@functools.lru_cache(maxsize=16384)
def _places(word: str) -> frozenset[str]:
    """The places a people's name may come from: 'africans' -> africa, 'japanese' -> japan, 'kenyan' -> kenya,
    'french' -> france."""
    out = {_IRREGULAR_PEOPLES[word]} if word in _IRREGULAR_PEOPLES else set()
    for ending in _DEMONYM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            root = word[: -len(ending)]
            out |= {root, root + "a"}
    return frozenset(out)

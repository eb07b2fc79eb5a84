"""Which period, rate or age band a sentence speaks of, against the one a question asks about: the third
quarter is not the second, "a day" is not "each year", "under 65" is not "65 and over", and 2025 ("last
year" in a 2026 story) is not 2024. A sentence that names no period speaks of its article's."""

from __future__ import annotations

import re

from service.text import DAYS, dates

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
_NUMBERED = tuple(_ORDINAL_WORDS.values())  # first ... tenth


def ordinals(text: str) -> set[tuple[str, str]]:
    """('second', 'quarter') for 'second quarter', 'second-quarter', '2nd quarter' or 'Q2';
    ('full', 'year') for 'full-year' or 'annual' results."""
    found = {(_ORDINAL_WORDS.get(o.lower(), o.lower()), n.lower()) for o, n in _ORDINAL_NOUN.findall(text)}
    found |= {(_NUMBERED[int(q) - 1], "quarter") for q in _QUARTER.findall(text)}
    found |= {(_NUMBERED[int(h) - 1], "half") for h in _HALF.findall(text)}
    if _FULL_YEAR.search(text):
        found.add(("full", "year"))
    return found


def _month_names(text: str) -> set[str]:
    return {d for d in dates(text) if d not in DAYS}




def periods(text: str) -> set[str]:
    """Numbered periods a text names ('second quarter', 'first half'): a question about the first quarter
    is not answered by an article that speaks only of the second."""
    return {f"{o} {n}" for o, n in ordinals(text) if o in _NUMBERED}


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


def other_period(question: str, body: str, published_at: str, main: str = "") -> bool:
    """A sentence about another period, rate or age band than the question's. ``main`` is the article's
    title and lead: a sentence that names no period of its own speaks of the article's."""
    return (other_numbered_period(question, body, published_at, main) or _other_side(question, body)
            or _other_rate(question, body) or _other_month(question, body, main)
            or other_year(question, body, published_at))


_REPORTING_PERIODS = frozenset({"quarter", "half", "half-year", "year"})


def other_numbered_period(question: str, body: str, published_at: str, main: str) -> bool:
    """The third quarter (or the full year) for a question about the second; "120,000 visitors a year" for
    one about the first day; "revenue for the quarter" in a second-quarter story for the first quarter."""
    asked = {(o, n) for o, n in ordinals(question) if o != "last"}  # "last quarter": the latest one
    if not asked:
        return False
    said = {(o, n) for o, n in ordinals(body) if o != "last"}  # "weighed on results last year": no period of its own
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
        told = {(o, n) for o, n in ordinals(main) if n in nouns}
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


def other_year(question: str, body: str, published_at: str) -> bool:
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

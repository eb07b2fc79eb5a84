"""What kinds of fact a sentence states: numbers classified by what they measure, and names.

A question that asks "how many" is not answered by a percentage, a sum of money, a date or a
time of day; "what rate" wants a percentage; "how long" a duration. Each number in a text is
classified by the words around it (a currency before or after it, a unit, a month name, a.m./p.m.):

- ``percent``: 9%, 4.25 percent, a quarter of a percentage point, 25 basis points, rates such as
  279.4 per 100,000
- ``money``: 500,000 crowns, $3 million, 2,000,000-crown
- ``time``: 6 a.m., 12:15 p.m., 14:00
- ``date``: Nov 3, 3 November, March 14 (a day of a month); ``year``: in 2019, March 14, 2027
- ``age``: 17-year-old, aged 68, "Erling Voss, 68,"
- ``duration``: three weeks, 14-month, 36 hours
- ``measure``: 142 mm, 6.8 metres, a 27-km detour
- ``pair``: 5-2, 3-1, 41 votes to 6, 78% to 22% (scores, votes, margins)
- ``count``: any other cardinal number (2,100 workers, eleven publishers)

Plain rules over the text; they know nothing about any question set.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from service.text import MONTHS

_NUM_WORDS = (  # longest first, so 'seventy' is not read as 'seven'
    "seventeen|thirteen|fourteen|fifteen|sixteen|eighteen|nineteen|seventy|eleven|twelve|twenty|thirty|forty|"
    "fifty|sixty|eighty|ninety|hundreds|hundred|thousands|thousand|millions|dozens|dozen|three|seven|eight|"
    "quarter|half|thrice|twice|four|five|nine|one|two|six|ten"
)
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|bn|mn|m|k)\b)?"
# a number: digits (with thousands separators or decimals), or number words (hyphenated tens too)
_NUMBER = rf"(?:\d{{1,2}}:\d\d(?!\d)|\d+(?:[.,]\d+)*|(?:{_NUM_WORDS})(?:-(?:{_NUM_WORDS}))?\b)"
_MENTION = re.compile(rf"(?:(?<![\w.])|(?<=(?<![\w.])R))(?<![A-Za-z]-)(?P<num>{_NUMBER}){_SCALE}",
                      re.IGNORECASE)  # not 'Covid-19'; 'R95,750' is rand

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_CURRENCY_WORDS = (
    r"crowns?|kronor|kroner|krona|krone|dollars?|euros?|pounds?|sterling|yen|yuan|renminbi|francs?|cents?|pence|"
    r"rupees?|rupiah|ringgit|baht|pesos?|reais|real|rand|naira|won|dinars?|dirhams?|riyals?|rials?|shekels?|"
    r"shillings?|lira|lire|liras|zloty|zlotys|forints?|lei|leu|leva|hryvnias?|rubles?|roubles?|tenge|taka|dong|"
    r"kwacha|cedis?|birr|pula|rands"
)
_CURRENCY_SIGN = r"(?:[$\u20ac\u00a3\u00a5\u20b9\u20a9\u20bd\u20ba\u20aa\u0e3f\u20a6]|R\$|Rs\.?|Rp)"
DURATION_UNITS = r"seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|decades?|centuries|century"
MEASURE_UNITS = (
    r"mm|cm|km|m|metres?|meters?|kilomet(?:re|er)s?|centimet(?:re|er)s?|millimet(?:re|er)s?|miles?|feet|foot|"
    r"inch(?:es)?|yards?|kg|kilos?|kilograms?|grams?|g|tonnes?|tons?|litres?|liters?|gallons?|barrels?|degrees?|"
    r"\u00b0[CF]?|mph|km/h|knots?|hectares?|acres?|sq(?:uare)? ?(?:km|miles?|metres?|meters?|feet)|mw|gw|kw|mwh|"
    r"gwh|kwh|teu|twenty-foot|storeys?|-storey"
)
_AFTER_PERCENT = re.compile(r"\s?(?:%|percent\b|per cent\b|percentage points?\b|basis points?\b|points?\b|pc\b)",
                            re.IGNORECASE)
_AFTER_MONEY = re.compile(rf"(?:\s|-)(?:{_CURRENCY_WORDS})\b", re.IGNORECASE)
_BEFORE_MONEY = re.compile(rf"(?:{_CURRENCY_SIGN}|\b(?:US|EUR|GBP|USD|SEK|NOK|DKK|CHF|JPY|CNY|INR|ZAR|AUD|CAD|NZD|HKD|"
                           rf"SGD|MXN|BRL|kr\.?)\$?)\s?$|(?<![\w.])R$",
                           re.IGNORECASE)  # 'R' glued to the number: South African rand (R95,750)
_AFTER_TIME = re.compile(r"\s?(?:a\.m\.|p\.m\.|am\b|pm\b|o'clock\b|GMT\b|UTC\b|CET\b|hrs\b)", re.IGNORECASE)
_CLOCK = re.compile(r"^\d{1,2}:\d\d$")
_AFTER_DATE = re.compile(rf"\s(?:{_MONTH})(?!\w)", re.IGNORECASE)
_BEFORE_DATE = re.compile(rf"(?<!\w)(?:{_MONTH})\s$", re.IGNORECASE)
_AFTER_DURATION = re.compile(rf"(?:\s|-)(?:{DURATION_UNITS})\b", re.IGNORECASE)
_AFTER_MEASURE = re.compile(rf"(?:\s|-)?(?:{MEASURE_UNITS})(?![\w])", re.IGNORECASE)
_AFTER_ORDINAL = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
_PAIR = re.compile(
    rf"(?<![\w.:/-])\d+(?:\.\d+)?%?\s?[-\u2013]\s?\d+(?:\.\d+)?%?(?![\w:/]|\.\d|-\w)"
    rf"|\b{_NUMBER}(?:%|\s(?:percent|per cent))?\s(?:votes?\s)?(?:to|against)\s{_NUMBER}(?:%|\b)",
    re.IGNORECASE,
)
_CLOCK_WORDS = re.compile(  # "half past five", "a quarter to six" (not "5 to 2", a score)
    rf"\b(?:(?:(?:a )?quarter|half|{_NUM_WORDS}|\d{{1,2}}) past|(?:(?:a )?quarter|half) to) "
    rf"(?:\d{{1,2}}|{_NUM_WORDS})\b",
    re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(?:1[5-9]|20)\d\d-[01]\d-[0-3]\d\b")
_TIME_WORDS = re.compile(r"\b(?:noon|midnight|midday|dawn|dusk|morning|afternoon|evening|overnight|"
                         r"\d{1,3}(?:st|nd|rd|th) minute|(?:stoppage|injury|extra) time|half-?time)\b",
                         re.IGNORECASE)  # a match's clock: 'in the 84th minute' says when a goal came
_DATE_WORDS = re.compile(
    rf"(?<!\w)(?-i:{_MONTH})(?!\w)|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|"
    r"tomorrow|tonight|next (?:week|month|year|spring|summer|autumn|fall|winter)|last (?:week|month|year)|"
    r"this (?:week|month|year)|(?:spring|summer|autumn|winter) of)\b",
    re.IGNORECASE,
)

_LABEL = re.compile(r"(?<![\w.])([A-Z][a-z]*[A-Za-z])\s$")  # a capitalised word right before the number
_NOT_LABEL_WORDS = (
    "in on at by from since until till about around nearly almost some over under only just and but or the a an "
    "of to for with after before during than up down last next this that these those more less fewer all each "
    "every per between among against approximately roughly"
)
_NOT_LABELS = frozenset(_NOT_LABEL_WORDS.split()) | MONTHS  # months: "Nov 4" is a date
KINDS = ("percent", "money", "time", "date", "year", "duration", "age", "measure", "pair", "count")


@dataclass(frozen=True)
class Mention:
    """One number in a text and what it measures."""

    text: str
    value: str  # comparable: '2,100' -> '2100', 'eleven' -> '11', '31 million' -> '31m', '5 to 2' -> '5-2'
    kind: str  # one of KINDS
    start: int
    end: int


_UNIT_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
               "sixteen seventeen eighteen nineteen")
_UNITS = {w: i for i, w in enumerate(_UNIT_WORDS.split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                                                 "ninety"))}
_SCALES = {"thousand": "k", "k": "k", "million": "m", "mn": "m", "m": "m", "billion": "b", "bn": "b",
           "trillion": "t"}


def _value(num: str, whole: str) -> str:
    """A comparable value: digits without separators, number words as digits, and the scale ('31 million' -> '31m')."""
    low = num.lower()
    if num[:1].isdigit():
        value = num.replace(",", "")
    elif low in _UNITS:
        value = str(_UNITS[low])
    elif low == "dozen":
        value = "12"
    elif low in ("twice", "thrice"):
        value = "2" if low == "twice" else "3"  # "scored twice": two goals
    elif "-" in low and low.split("-")[0] in _TENS and low.split("-")[1] in _UNITS:
        value = str(_TENS[low.split("-")[0]] + _UNITS[low.split("-")[1]])
    elif low in _TENS:
        value = str(_TENS[low])
    else:
        value = low
    scale = whole[len(num):].strip().lower()
    return value + _SCALES.get(scale, "")


def _year(num: str) -> bool:
    return bool(re.fullmatch(r"1[5-9]\d\d|20\d\d|2100", num))


_AGE_AFTER = re.compile(r"(?:-year-old\b|-years-old\b| years? old\b|-month-old\b)", re.IGNORECASE)
_AGE_BEFORE = re.compile(r"(?:\baged|\bage of|\bages of|\bage)\s$", re.IGNORECASE)
_APPOSITION_AGE = re.compile(r"[A-Z][\w'\u2019-]+,\s$")  # "Erling Voss, 68, closed his farm"


_PER_BASE = re.compile(r"\s(?:[a-z-]+\s){0,2}per\s(?:\d[\d,.]*|hundred|thousand|million)\b",
                       re.IGNORECASE)  # "98.7 admissions per 100,000 residents", "3.2 deaths per 1,000 births"


def _classify(text: str, m: re.Match[str]) -> str:
    num, start, end = m.group("num"), m.start(), m.end()
    after, before = text[end:end + 40], text[max(0, start - 12):start]
    if _AGE_AFTER.match(after) or _AGE_BEFORE.search(before) or (
            num.isdigit() and int(num) < 120 and _APPOSITION_AGE.search(before) and after[:1] == ","):
        return "age"
    if _CLOCK.match(num) or _AFTER_TIME.match(after):
        return "time"
    if _AFTER_PERCENT.match(after) or re.match(r"\s(?:of )?an? (?:percentage )?point\b", after, re.IGNORECASE):
        return "percent"
    if _BEFORE_MONEY.search(before) or _AFTER_MONEY.match(after):
        return "money"
    if _PER_BASE.match(after) or re.search(r"\bper\s$", before, re.IGNORECASE):
        return "percent"  # a rate per some base, like a share: "279.4 per 100,000" (both numbers)
    if _AFTER_ORDINAL.match(after) and num[:1].isdigit():
        return "date" if _AFTER_DATE.match(after[2:]) or _BEFORE_DATE.search(before) else "ordinal"
    if num[:1].isdigit() and (_AFTER_DATE.match(after) or _BEFORE_DATE.search(before)):
        return "date"
    if _AFTER_DURATION.match(after):
        return "duration"
    if _AFTER_MEASURE.match(after):
        return "measure"
    if _year(num) and not re.match(r"\s?(?:people|workers|residents|households|vehicles|members)\b", after):
        return "year"
    return "count"


# words before "X to Y" that make it a change or a range ("rose 4% to 38.60 euros", "from 3 to 5"), not a score
_CHANGE_NOT_PAIR = re.compile(
    r"\b(?:from|between|rose|rises?|fell|falls?|increased?|decreased?|raise[sd]?|cuts?|lowered|climbed|jumped|"
    r"dropped|slid|slipped|grew|gained|lost|up|down|hikes?)\s+$", re.IGNORECASE)


def _unlike_sides(pair: str, after: str) -> bool:
    """'4.2% to 38.60' (a percentage and a plain number) or '5 to 7 euros' (a unit after): not a score."""
    sides = re.split(r"\s(?:votes?\s)?(?:to|against)\s", pair, maxsplit=1, flags=re.IGNORECASE)
    if len(sides) != 2:
        return False  # '5-2'
    percent = [bool(re.search(r"%|per ?cent", side, re.IGNORECASE)) for side in sides]
    percent[1] = percent[1] or bool(_AFTER_PERCENT.match(after))
    return percent[0] != percent[1] or bool(_AFTER_MONEY.match(after) or _AFTER_MEASURE.match(after)
                                            or _AFTER_DURATION.match(after))


@functools.lru_cache(maxsize=8192)
def mentions(text: str) -> tuple[Mention, ...]:
    """Every number in ``text`` with its kind, in order; scores and votes ('5-2') count as one ``pair``."""
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for clock in _CLOCK_WORDS.finditer(text):  # "half past five", "a quarter to six"
        out.append(Mention(clock.group(), clock.group().lower(), "time", clock.start(), clock.end()))
        taken.append((clock.start(), clock.end()))
    for iso in _ISO_DATE.finditer(text):
        out.append(Mention(iso.group(), iso.group(), "date", iso.start(), iso.end()))
        taken.append((iso.start(), iso.end()))
    for p in _PAIR.finditer(text):
        if any(a <= p.start() < b for a, b in taken):
            continue
        before = text[max(0, p.start() - 12):p.start()]
        if _BEFORE_DATE.search(before) or re.search(r"\d{4}-\d\d", p.group()):
            continue  # 'Nov 3-5' or an ISO date, not a score
        if _CHANGE_NOT_PAIR.search(before) or _unlike_sides(p.group(), text[p.end():p.end() + 20]):
            continue  # 'rose 4.2% to 38.60 euros', 'from 3 to 5': a change or a range, not a score
        value = "-".join(re.findall(r"\d+(?:\.\d+)?", p.group().replace(",", "")))  # '5 to 2' == '5-2'
        out.append(Mention(p.group(), value, "pair", p.start(), p.end()))
        taken.append((p.start(), p.end()))
    for m in _MENTION.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        num = m.group("num")
        kind = _classify(text, m)
        if num.lower() in ("half", "quarter") and kind == "count":
            continue  # 'half the crews' is not a figure
        label = _LABEL.search(text[max(0, m.start() - 30):m.start()]) if kind in ("count", "year") else None
        if label and num.isdigit() and label.group(1).lower() not in _NOT_LABELS:
            continue  # 'Gate 4', 'Terminal 2', 'Boeing 737': part of a name, not a figure
        if kind == "ordinal":
            continue
        out.append(Mention(m.group(), _value(num, m.group()), kind, m.start(), m.end()))
    out.sort(key=lambda x: x.start)
    return tuple(out)


def kinds_in(text: str, exclude: frozenset[str] = frozenset()) -> set[str]:
    """The kinds of the numbers in ``text``, leaving out numbers whose value is in ``exclude``."""
    return {m.kind for m in mentions(text) if m.value not in exclude and m.value.rstrip("kmbt") not in exclude}


def has_time_or_date(text: str) -> bool:
    """A date, weekday, month or time of day, in digits or in words."""
    return bool(_DATE_WORDS.search(text) or _TIME_WORDS.search(text)
                or any(m.kind in ("date", "year", "time") for m in mentions(text)))


def facts_missing(claim: str, cited: str) -> int:
    """Numbers of ``claim`` that ``cited`` does not state with the same value and kind.

    A bare number in the claim may match a number of any kind ("31 million" against "31 million
    crowns"); a typed one must match its kind: "14 million crowns" is not backed by "a 14-month
    renovation".
    """
    have = {(m.value, m.kind) for m in mentions(cited)}
    values = {v for v, _ in have}
    missing = 0
    for m in mentions(claim):
        if (m.value, m.kind) in have or (m.kind == "count" and m.value in values):
            continue
        missing += 1
    return missing


_WORDISH = re.compile(r"[A-Za-z][\w'\u2019-]*")
_OF_NUMBER = re.compile(
    r"([A-Za-z][\w-]*)\s+of\s+(?:about |roughly |some |around |nearly |more than |at least |over )?$", re.IGNORECASE)


def counted_words(text: str) -> list[str]:
    """The nouns a text counts: '2,100 workers' -> workers, 'a crowd of 14,212' -> crowd (lower-case)."""
    out: list[str] = []
    for m in mentions(text):
        if m.kind != "count":
            continue
        out.extend(w.lower() for w in _WORDISH.findall(text[m.end:m.end + 30])[:2])
        before = _OF_NUMBER.search(text[max(0, m.start - 40):m.start])
        if before:
            out.append(before.group(1).lower())
    return out

"""The words of news text: stems, names, numbers and dates, the dateline, and a sentence's place in its
article (the lead, the sentence before it, the line that introduces a list)."""

from __future__ import annotations

import functools
import re

from index.sentences import split_sentences

WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u2019-]*|\d[\d,.:/-]*%?")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
_CAPITAL = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"  # and accented capitals: "GDA\u0143SK"
_DATELINE = re.compile(  # "VELMORA, Nov 3 (Meridian Wire) - ", "LONDON (Reuters) -", "GDANSK, Poland \u2014 "
    rf"^[{_CAPITAL}][{_CAPITAL} .'\u2019-]+(?:, [A-Z][\w.]+(?: [A-Z][\w.]+)?)?(?:, [A-Z][a-z]{{2,8}}\.? \d{{1,2}})?"
    r"(?: \([^)]{1,80}\))? ?[-\u2013\u2014]+ ")


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
MONTHS = frozenset(m.lower() for m in MONTH_NAMES) | frozenset(m[:3].lower() for m in MONTH_NAMES) | {"sept"}
DAYS = word_set("monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow")
QUESTION_WORDS = word_set(
    "how what which who whom whose when where why many much long far old large big high "
    "does did do is was were are will would can could "
    "tell explain describe summarise summarize happen happens happened happening occur occurs occurred know"
)
STOPWORDS = word_set(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this "
    "that these those he she they them his her their there here which who whom whose what when where why "
    "how not no do does did has have had will would can could should may might must shall than then so "
    "such also about into over after before said says say according per while during up down out off "
    "very more most some any all each both other another just only our we you your i me my us one roughly "
    "approximately nearly almost around exactly actually really currently now"
)


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
    for w in WORD.findall(text):
        for part in (w, *w.split("-")[: 4 if "-" in w else 0]):
            low = part.lower()
            if (len(part) > 1 or part.isdigit()) and low not in STOPWORDS and low not in QUESTION_WORDS:
                out.append(part)
    return out


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning."""
    return {stem(w) for w in content_words(text)}


def numbers(text: str) -> set[str]:
    """Digit groups with thousands separators removed ('2,100' -> '2100', '4.25%' -> '4.25'); not the digit
    of a period's short name ('Q3', 'H1': ``ordinals`` reads those)."""
    return {d.replace(",", "").rstrip(".:") for d in _DIGITS.findall(_SHORT_PERIOD.sub(" ", text))}


_SHORT_PERIOD = re.compile(r"\b(?:Q[1-4]|H[12])\b")


def _proper(i: int, word: str, low: str) -> bool:
    """A capitalised word, not the text's first (``i`` 0), that is no function word, month or day."""
    return (i > 0 and word[0].isupper() and low not in STOPWORDS and low not in QUESTION_WORDS
            and low.rstrip(".") not in MONTHS and low not in DAYS)


def names(text: str) -> set[str]:
    """Capitalised words that are not the first word of the text (proper names, roughly)."""
    return {bare(w) for i, w in enumerate(WORD.findall(text))
            if _proper(i, w, w.lower()) and not _SHORT_PERIOD.fullmatch(w)}


def dates(text: str) -> set[str]:
    """Month (as three letters: 'November' -> 'nov') and weekday words in ``text``."""
    found = set()
    for word in (part for token in WORD.findall(text) for part in token.split("-")):  # "July-September"
        if not word:
            continue
        w = word.lower().rstrip(".")
        if w.endswith("days") and w[:-1] in DAYS:
            w = w[:-1]  # "on Saturdays"
        if w in ("may", "march") and not word[0].isupper():
            continue  # the verbs, not the months
        if w in MONTHS:
            found.add(w[:3])
        elif w in DAYS:
            found.add(w)
    return found


_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2013\u2014]|\d{1,2}[.)])\s+")


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


def date_words(published_at: str) -> str:
    """'2026-11-05T...' -> '5 November 2026', so a question's month and year can match the article date."""
    try:
        year, month, day = int(published_at[:4]), int(published_at[5:7]), int(published_at[8:10])
        return f"{day} {MONTH_NAMES[month - 1]} {year}"
    except (ValueError, IndexError):
        return ""


def name_phrases(text: str) -> list[set[str]]:
    """Runs of capitalised words ('Ostrand Mutual', 'Bank of Brenmark'), each as its set of lower-case words."""
    words = WORD.findall(text)
    runs: list[set[str]] = []
    current: set[str] = set()
    for i, w in enumerate(words):
        low = bare(w)
        if _proper(i, w, low):
            current.add(low)
        elif current and low in ("of", "and", "&", "de", "van", "von"):
            continue
        elif current:
            runs.append(current)
            current = set()
    if current:
        runs.append(current)
    return runs


@functools.lru_cache(maxsize=256)
def lead(article: str) -> str:
    """An article's opening: its first two sentences (the first may be an "(Updated ...)" line)."""
    return " ".join(x.text for x in split_sentences("", article[:1200])[:2])


@functools.lru_cache(maxsize=512)
def capitalised(text: str) -> frozenset[str]:
    """Every capitalised word of ``text``, the first one too (``names`` skips it: a sentence's first word
    is capitalised anyway, a title's first word is often a name)."""
    return frozenset(bare(w) for w in WORD.findall(text) if w[0].isupper())


def previous_sentence(article: str, start: int) -> str:
    """The sentence before the one at ``start`` in ``article``."""
    before = split_sentences("", article[max(0, start - 600):start])
    return before[-1].text if before else ""


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

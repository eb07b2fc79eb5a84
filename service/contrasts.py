"""Near-miss facts: words that tell apart facts news stories put side by side.

A flood report gives deaths and injuries; a results story gives net and operating profit; an
insurance story gives the estimated damage and what has been paid out. A question about one is
not answered by a sentence that states the other, however many words they share:
"How many people were injured?" is not answered by "The storm killed 12 people".

Each *family* below lists *classes* of words for one such distinction. When a question names a
class of a family and a sentence names only other classes of the same family, the sentence is
about a neighbouring fact and does not answer. A sentence that names no class of the family
says nothing either way (other checks decide). The lists are plain English news vocabulary,
not drawn from any question set.
"""

from __future__ import annotations

import functools
import re

_ASKING = r"sought|seek(?:s|ing)?|demand(?:s|ed|ing)?|asking for|asked for"  # money sought, pay demanded

_FAMILIES: dict[str, dict[str, str]] = {
    # what happened to people in a disaster, an attack or a crackdown
    "casualties": {
        "dead": r"kill(?:s|ed|ing)?|die[ds]?|dying|dead|deaths?|death toll|fatalit(?:y|ies)|fatally|lives lost|"
                r"perished",
        "injured": r"injur(?:e|es|ed|ies|y)|wounded|wounding|hurt|hospitali[sz]ed|admitted to hospital|"
                    r"hospital admissions?",
        "missing": r"missing|unaccounted",
        "displaced": r"displaced|evacuat(?:e|ed|es|ion|ions)|homeless|fled|flee(?:ing)?|sheltering|rehoused",
        "rescued": r"rescu(?:e|ed|es)|pulled (?:out|alive)",
        "infected": r"infect(?:ed|ions?)|(?:confirmed |new |reported )cases|contracted|tested positive|fell ill|"
                    r"sickened|developed (?:[\w-]+ ){0,2}(?:flu|influenza|symptoms|illness|disease|infections?)",
        "arrested": r"arrest(?:s|ed)?|detain(?:ed|s)?|detentions?|custody",
        "aboard": r"on board|aboard|onboard",  # all who were there, not the toll among them
    },
    # a court report: the sentence prosecutors asked for is not the one the court passed
    "sentencing": {
        "sought": rf"{_ASKING}|request(?:s|ed)?|called for",
        "passed": r"sentenced|jailed|imprisoned|handed (?:down )?(?:a|an)\b|(?:was|were) given|ordered to serve|"
                  r"received (?:a|an)\b",
    },
    # sums of money: what was paid, what is estimated, what is promised, what is asked for
    "money": {
        "paid": r"paid(?: out)?|pay(?:s|ing)? out|payouts?|disbursed|spent|settled claims",
        "estimated": r"estimat(?:e|es|ed|ing)|projected|forecasts?|put (?:the|its) (?:cost|damage|bill)",
        "pledged": r"pledg(?:e|es|ed)|promis(?:e|es|ed)|earmark(?:ed)?|allocat(?:e|es|ed)|set aside|budgeted|"
                   r"approved (?:a |an )?(?:[\w-]+ ){0,4}(?:fund|package|grant|budget|aid)",
        "sought": rf"{_ASKING}|request(?:s|ed)?|appl(?:y|ied|ies|ication) for|bid(?:ding)? for",
    },
    # a pay dispute or a takeover: what one side demands is not what the other offers
    "bargaining": {
        "demanded": rf"{_ASKING}|call(?:s|ed|ing)? for|claim(?:s|ed|ing)? for",
        "offered": r"offer(?:s|ed|ing)?|propos(?:e|es|ed|al)|tabled|put forward",
    },
    # which profit figure
    "profit": {
        "operating": r"operating (?:profit|income|loss|result)|ebitd?a|underlying",
        "net": r"net (?:profit|income|loss|result)|bottom line|after tax",
        "pretax": r"pre-?tax|before tax",
        "gross": r"gross (?:profit|margin|income)",
    },
    # trade in and out
    "trade": {
        "exports": r"export(?:s|ed|ing|ers?)?",
        "imports": r"import(?:s|ed|ing|ers?)?",
    },
    # which competition or category: "who won the men's race" is not answered by the women's winner
    "category": {
        "men": r"men's|men\u2019s|men|male|boys'?",
        "women": r"women's|women\u2019s|women|female|girls'?",
    },
    # which age group: "side effects in adults" is not answered by the children's
    "ages": {
        "children": r"child(?:ren)?|kids?|infants?|bab(?:y|ies)|toddlers?|pupils|under-\d+s?|minors?",
        "adults": r"adults?|grown-ups|elderly|older (?:people|adults|patients)|pensioners|over-\d+s",
    },
    # city or country: "at regional hospitals" is not answered by the figure for metropolitan Melbourne
    "area": {
        "urban": r"metropolitan|urban|inner-city|city-centre|city center|downtown",
        "rural": r"regional|rural|countryside|provincial towns|country towns|outback",
    },
    # part of the trading day (the opening side only in market words, so a shop that "opened" is no session)
    "session": {
        "open": r"morning trading|early trading|at the open|early deals|opened (?:at|up|down|higher|lower|flat)",
        "close": r"clos(?:e|ed|es|ing)(?! to\b| down\b)|at the end of trading|finished (?:the day|trading)|"
                 r"ended (?:the day|trading)",
    },
    # which days of the week
    "days": {
        "weekday": r"weekdays?|working days?|monday to friday|mondays? through fridays?",
        "weekend": r"weekends?|saturdays?|sundays?",
    },
}


@functools.lru_cache(maxsize=1)
def _patterns() -> dict[str, dict[str, re.Pattern[str]]]:
    return {family: {name: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for name, words in classes.items()}
            for family, classes in _FAMILIES.items()}


@functools.lru_cache(maxsize=4096)
def classes(text: str) -> dict[str, frozenset[str]]:
    """For each family, the classes ``text`` names: {'casualties': {'dead', 'injured'}} (do not modify)."""
    found: dict[str, frozenset[str]] = {}
    for family, patterns in _patterns().items():
        named = frozenset(name for name, pattern in patterns.items() if pattern.search(text))
        if named:
            found[family] = named
    return found


def neighbouring(question: str, sentence: str) -> bool:
    """Whether ``sentence`` states a neighbouring fact instead of the one ``question`` asks about: for some
    family, the question names classes the sentence does not, and the sentence names only other ones."""
    asked = classes(question)
    if not asked:
        return False
    said = classes(sentence)
    return any(family in said and not (wanted & said[family]) for family, wanted in asked.items())

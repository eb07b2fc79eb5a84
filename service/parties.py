"""Who and where a question and a sentence are about: the parties and places a question names must be
in the article (a people for its place: 'French' for France), a party new to the story must be named by
the sentence or the one before it, and a sentence whose subjects are other parties is about them."""

from __future__ import annotations

import functools
from collections.abc import Set as AbstractSet

from service.questions import Asked, actors
from service.text import STOPWORDS, WORD, bare, capitalised, dates


def unnamed_party(phrases: list[set[str]], opening: str, text: str) -> bool:
    """The question names a party or place that is not the story's topic (its title and lead),
    and ``text`` (the sentence and the one before it) does not name it: "What share did Green Pomerania
    win?" is not answered by the winner's share in the lead, nor a region's injured by the national toll."""
    named = capitalised(text)  # a new party is named, not said by a common noun ('bus makers' for Ruolong Bus)
    said = {bare(w) for w in WORD.findall(text)}  # a party of the story's own ('the union' of Meridian Motors)
    topic = capitalised(opening)
    for phrase in phrases:
        phrase = {w for w in phrase if not dates(w)}  # 'April-June' is a period, no party
        own = unmet(phrase, topic)  # 'South Africans' is the topic of a story about South Africa
        present = said if len(own) < len(phrase) else named
        if own and len(unmet(own, present)) == len(own):
            return True
    return False


def apposed_names(question: str, focus: AbstractSet[str]) -> dict[str, frozenset[str]]:
    """Each focus word with the name it qualifies in the question: 'ferry' in 'the Kalliroi ferry' or 'the ferry
    Kalliroi' -> {'kalliroi'}."""
    words = WORD.findall(question)
    out: dict[str, frozenset[str]] = {}
    for i, w in enumerate(words):
        if w.lower() not in focus:
            continue
        near = [x for x in (words[i - 1] if i > 1 else "", words[i + 1] if i + 1 < len(words) else "")
                if x[:1].isupper() and bare(x) not in STOPWORDS]
        if near:
            out[w.lower()] = frozenset(bare(x) for x in near)
    return out


@functools.lru_cache(maxsize=256)
def inner_names(article: str) -> frozenset[str]:
    """Lower-case words written with a capital inside a sentence (names), not only at its start."""
    out = set()
    for m in WORD.finditer(article):
        if m.group()[0].isupper() and m.start() > 0 and m.group().lower() not in STOPWORDS:
            before = article[max(0, m.start() - 8):m.start()].rstrip()  # the few characters before, not the text
            if before and before[-1] not in ".!?:;\"\u201c\u201d'\u2018\u2019\u2014\u2013-(\n":
                out.add(bare(m.group()))
    return frozenset(out)


def about_someone_else(asked: Asked, phrases: list[set[str]], body: str,
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
    if asked.subject & {bare(w) for w in WORD.findall(body)}:
        return False
    asked_about = set().union(*phrases) if phrases else set()
    found = actors(body, known)  # "Sales in North America rose 11%, while Europe grew 2%": North America is asked about
    return bool(found) and not found & asked_about  # the sentence's grammatical subjects are other named parties


# names a question may use for what an article calls otherwise
_ALIASES = {"uk": {"britain", "british", "england", "english", "scotland", "scottish", "wales", "welsh"},
            "britain": {"uk", "british"}, "us": {"america", "american", "americans"},
            "america": {"us", "american", "americans"}, "eu": {"european", "europe"}}


def unmet(need: AbstractSet[str], have: AbstractSet[str]) -> set[str]:
    """The question's names, dates and numbers that the article does not hold (allowing common aliases, and
    a people for its place: 'South Africans' for South Africa, 'Kenya' for Kenyan)."""
    missing = {n for n in need - have if not _ALIASES.get(n, set()) & have}
    if not missing:
        return missing
    places = {p for h in have if h[:1].isalpha() for p in places_of(h)}
    return {n for n in missing if n not in places and not places_of(n) & (have | places)}  # Danes: Danish


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
def places_of(word: str) -> frozenset[str]:
    """The places a people's name may come from: 'africans' -> africa, 'japanese' -> japan, 'kenyan' -> kenya,
    'french' -> france."""
    out = {_IRREGULAR_PEOPLES[word]} if word in _IRREGULAR_PEOPLES else set()
    for ending in _DEMONYM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            root = word[: -len(ending)]
            out |= {root, root + "a"}
    return frozenset(out)

"""Marker parsing, support scoring, re-attachment (fake embedder, no model)."""

from __future__ import annotations

import pytest

from index.search import Evidence
from service.citations import CitationChecker, Claim, lexical_support, markers_in, mismatches, parse_claims
from service.testing import HashEmbedder

SENTENCES = [
    "Union records show that 2,100 workers joined the strike on its first day.",
    "Transport Minister Arvid Kellner announced the appointment at a news conference in Ostrand.",
    "The bulletin has received no notice that the strike has ended.",
]


def evidence(texts: list[str] = SENTENCES, title: str = "Velmora port strike") -> list[Evidence]:
    return [Evidence("a1", i, t, 0, len(t), title, "", "Wire", "2026-11-06", 1.0, 0.5) for i, t in enumerate(texts)]


@pytest.fixture
def checker() -> CitationChecker:
    return CitationChecker(HashEmbedder(), threshold=0.55)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Workers struck on Tuesday [1].", [("Workers struck on Tuesday.", [1])]),
        ("Workers struck on Tuesday [1, 3].", [("Workers struck on Tuesday.", [1, 3])]),
        ("Workers struck on Tuesday [1][2].", [("Workers struck on Tuesday.", [1, 2])]),
        ("Workers struck on Tuesday [12].", [("Workers struck on Tuesday.", [12])]),
        ("Workers struck on Tuesday.", [("Workers struck on Tuesday.", [])]),
        ("Workers struck. [2]", [("Workers struck.", [2])]),  # a bare marker run belongs to the claim before
        ("Workers struck [1]. The port closed [2].", [("Workers struck.", [1]), ("The port closed.", [2])]),
    ],
)
def test_parse_claims(text: str, expected: list[tuple[str, list[int]]]) -> None:
    assert [(c.text, c.markers) for c in parse_claims(text)] == expected


def test_markers_in_keeps_order_without_repeats() -> None:
    assert markers_in("a [3] b [1; 3] c [2]") == [3, 1, 2]


def test_supported_citation_is_kept(checker: CitationChecker) -> None:
    out = checker.check(Claim("2,100 workers joined the strike on its first day.", [1]), evidence())
    assert out.supported and out.citations == [1] and not out.reattached
    assert out.support >= 0.55


def test_out_of_range_marker_is_dropped_and_claim_reattached(checker: CitationChecker) -> None:
    out = checker.check(Claim("2,100 workers joined the strike on its first day.", [12]), evidence())
    assert out.citations == [1] and out.reattached and out.dropped == [12]


def test_wrong_citation_is_replaced_by_the_supporting_sentence(checker: CitationChecker) -> None:
    out = checker.check(Claim("Arvid Kellner announced the appointment in Ostrand.", [1]), evidence())
    assert out.citations == [2] and out.reattached and out.dropped == [1]


def test_mangled_number_is_not_supported(checker: CitationChecker) -> None:
    claim = "2.10 workers joined the strike on its first day."
    assert mismatches(claim, SENTENCES[0]) == 1
    out = checker.check(Claim(claim, [1]), evidence())
    assert not out.supported and out.citations == []


def test_opposite_polarity_is_not_supported(checker: CitationChecker) -> None:
    claim = "The bulletin has received notice that the strike has ended."
    assert lexical_support(claim, SENTENCES[2]) < lexical_support("The strike has not ended.", SENTENCES[2])
    assert not checker.check(Claim(claim, [3]), evidence()).supported


def test_unknown_name_is_not_supported(checker: CitationChecker) -> None:
    out = checker.check(Claim("Minister Dagny Holm announced the appointment at a news conference.", [2]), evidence())
    assert not out.supported


def test_name_in_the_title_counts_as_present() -> None:
    assert mismatches("The Velmora strike began.", "The strike began.", "Velmora port strike") == 0
    assert mismatches("The Velmora strike began.", "The strike began.", "") == 1


def test_allowed_limits_which_sentences_may_be_cited(checker: CitationChecker) -> None:
    claim = Claim("2,100 workers joined the strike on its first day.", [1])
    out = checker.check(claim, evidence(), allowed={2, 3})
    assert not out.supported and out.citations == []


def test_claim_without_markers_is_attached_to_best_support(checker: CitationChecker) -> None:
    out = checker.check(Claim("The bulletin has received no notice that the strike has ended.", []), evidence())
    assert out.citations == [3] and out.reattached


def test_scores_use_given_vectors(checker: CitationChecker) -> None:
    ev = evidence()
    vectors = HashEmbedder().embed([e.text for e in ev])
    with_vectors = checker.scores(SENTENCES[0], ev, vectors)
    without = checker.scores(SENTENCES[0], ev)
    assert with_vectors.tolist() == pytest.approx(without.tolist())
    assert int(with_vectors.argmax()) == 0


def test_no_evidence_means_no_support(checker: CitationChecker) -> None:
    out = checker.check(Claim("Anything at all happened.", [1]), [])
    assert not out.supported and out.support == 0.0


def test_a_claim_that_invents_details_is_not_supported_by_its_source() -> None:
    from service.citations import invented

    cited = "Drivers now face a 27-km detour via the bridge at Fennick."
    assert invented("Drivers face a 27-km detour via Fennick.", cited) == 0
    assert invented("Drivers face a 27-km detour to the bridge's central pier.", cited) == 2
    # words the question holds may be repeated without a source
    assert invented("The detour drivers face while the bridge is shut is 27 km.", cited,
                    asked="How long is the detour drivers face while the bridge is shut?") == 0

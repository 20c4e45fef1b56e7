"""The index candidates a specifier selects (host): narrowed by bisection to the versions between
the specifier's bounds and kept per specifier (micropip2/resolve/knowledge.py), they must be
exactly those a scan of every version with ``SpecifierSet.contains`` selects."""

from __future__ import annotations

import random
from types import SimpleNamespace

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from micropip2.resolve.candidates import INDEX, Candidate
from micropip2.resolve.choices import Choices
from micropip2.resolve.knowledge import Knowledge

NAME = NormalizedName("botocore")
RELEASES = [f"1.{minor}.{patch}" for minor in range(30, 36) for patch in range(0, 12)]
ODD = ["1.34.0rc1", "1.34.0.post1", "1.34.0.dev3", "1.34", "2.0", "0.9", "1!0.1"]
OPERATORS = ["==", ">=", "<=", "<", ">", "~=", "!="]


def _knowledge(versions: list[str]) -> Knowledge:
    ordered = sorted((Version(v) for v in versions), reverse=True)  # as page_choices orders
    candidates = tuple(Candidate(NAME, v, INDEX) for v in ordered)
    lookups = SimpleNamespace(page=lambda name: object())  # the page has arrived
    knowledge = Knowledge(lookups, None, None, {})  # type: ignore[arg-type]
    knowledge._choices[NAME] = Choices(candidates, ())
    return knowledge


def _scan(knowledge: Knowledge, specifier: SpecifierSet) -> list[Version]:
    candidates = knowledge._choices[NAME].candidates
    return [c.version for c in candidates if specifier.contains(c.version, prereleases=True)]


def test_bisection_selects_what_a_scan_selects():
    knowledge = _knowledge(RELEASES + ODD)
    versions = RELEASES + ODD + ["1.31", "1.36.0", "1.29.99"]
    rng = random.Random(14)
    for _ in range(2000):
        clauses = [rng.choice(OPERATORS) + rng.choice(versions) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.1:
            clauses.append("==1.34.*")
        specifier = SpecifierSet(",".join(clauses))
        found = knowledge.index_candidates(NAME, specifier, pre=True, exact=True)
        assert [c.version for c in found] == _scan(knowledge, specifier), str(specifier)


def test_a_pin_equal_to_a_shorter_version_and_the_cache_answer_the_same():
    knowledge = _knowledge(RELEASES + ODD)
    pinned = knowledge.index_candidates(NAME, SpecifierSet("==1.34.0"), pre=False, exact=True)
    assert [str(c.version) for c in pinned] == ["1.34.0", "1.34"]  # 1.34 == 1.34.0 (PEP 440)
    again = knowledge.index_candidates(NAME, SpecifierSet("==1.34.0"), pre=False, exact=True)
    assert again is pinned


def test_a_local_version_is_not_lost_to_the_bisection():
    knowledge = _knowledge(["1.0", "1.0+local.1", "1.1", "0.9"])
    found = knowledge.index_candidates(NAME, SpecifierSet("<=1.0"), pre=False, exact=False)
    assert sorted(str(c.version) for c in found) == ["0.9", "1.0", "1.0+local.1"]

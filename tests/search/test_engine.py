"""The in-process engine: a snapshot brought forward by `applied` answers exactly as one built from scratch.

Documents here are made by hand in the shape of search.documents (no database): the engine is pure.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from search.engine import Snapshot
from search.query import FACETS, Range, SearchQuery

CANCERS = {  # code -> (label, parent)
    "cancer": ("Cancer", None), "lung-cancer": ("Lung cancer", "cancer"), "nsclc": ("Non-small cell lung cancer", "lung-cancer"),
    "luad": ("Lung adenocarcinoma", "nsclc"), "breast-cancer": ("Breast cancer", "cancer"),
    "glioma": ("Glioblastoma multiforme", "cancer"), "prostate-cancer": ("Prostate carcinoma", "cancer"),
}
MODALITIES = {"CT": "Computed tomography", "MR": "Magnetic resonance", "PT": "Positron emission tomography",
              "MG": "Mammography", "SEG": "Segmentation"}
WORDS = "cohort archive screening staging response therapy baseline radiomics survival diagnosis pilot registry".split()


def make_doc(identifier: str, rng: random.Random, *, title: str | None = None) -> dict[str, Any]:
    """A document in the shape search.documents builds, with random values from small vocabularies."""
    leaf = rng.choice(list(CANCERS))
    lineage, node = [], leaf
    while node is not None:
        lineage.append(node)
        node = CANCERS[node][1]
    modalities = sorted(rng.sample(list(MODALITIES), rng.randint(1, 3)))
    subjects = rng.choice([None, 0, rng.randint(10, 5000)])
    title = title or f"{CANCERS[leaf][0]} {MODALITIES[modalities[0]]} {rng.choice(WORDS)} {rng.randint(0, 9)}"
    year = rng.randint(2005, 2020)
    publisher = rng.choice(["Hospital A", "Hospital B", "Centre C"])
    sexes = rng.choice([[], ["F"], ["F", "M"]])
    facets = {
        "cancer_type": sorted(lineage), "modality": modalities, "body_part": [rng.choice(["CHEST", "BREAST", "BRAIN"])],
        "manufacturer": sorted(set(rng.sample(["SIEMENS", "GE", "PHILIPS"], rng.randint(0, 2)))), "sex": sexes,
        "publisher": [publisher.lower().replace(" ", "-")], "country": [rng.choice(["ESP", "FRA", "ITA"])],
        "access_rights": [rng.choice(["PUBLIC", "RESTRICTED"])], "licence": [rng.choice(["CC_BY_4_0", "CC_BYNC_4_0"])],
        "tier": [rng.choice(["1", "2"])], "species": ["9606"],
        "has_segmentations": ["true" if "SEG" in modalities else "false"],
    }
    labels = {name: {code: code for code in codes} for name, codes in facets.items()}
    labels["cancer_type"] = {code: CANCERS[code][0] for code in lineage}
    labels["modality"] = {code: MODALITIES[code] for code in modalities}
    labels["sex"] = {"F": "Female", "M": "Male"} if sexes else {}
    labels["sex"] = {code: labels["sex"][code] for code in sexes}
    return {
        "identifier": identifier, "title": title, "titles": [title],
        "description": " ".join(rng.choices(WORDS, k=rng.randint(3, 12))), "keywords": rng.sample(WORDS, 2),
        "publisher": publisher, "concepts": sorted({*(CANCERS[c][0] for c in lineage), *lineage, *modalities}),
        "facets": facets, "labels": labels, "parents": {code: CANCERS[code][1] for code in lineage},
        "ranges": {"subjects": subjects, "studies": None if subjects is None else subjects * 2, "series": rng.randint(1, 900),
                   "size": rng.randint(10**6, 10**12), "age_min": rng.choice([None, 40]), "age_max": rng.choice([None, 84]),
                   "year_min": year, "year_max": year + rng.randint(0, 5)},
        "sort": {"subjects": subjects, "studies": None if subjects is None else subjects * 2,
                 "modified": f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-01", "title": title.casefold()},
        "display": {}, "text": title,
    }


QUESTIONS = [
    SearchQuery(),
    SearchQuery(sort="-title", page=2, page_size=5),
    SearchQuery(text="lung"),
    SearchQuery(text="adenocarcinoma screening"),
    SearchQuery(text="glioblastma"),  # one typo
    SearchQuery(text="radiomic"),
    SearchQuery(filters={"cancer_type": ("lung-cancer",)}),
    SearchQuery(filters={"modality": ("CT", "PT")}, modality_match="all", sort="-subjects"),
    SearchQuery(filters={"modality": ("MR", "SEG"), "country": ("ESP",)}, sort="studies"),
    SearchQuery(ranges={"subjects": Range(100, None)}, sort="-modified"),
    SearchQuery(ranges={"age": Range(60, 70), "years": Range(2010, 2016)}, sort="modified"),
    SearchQuery(text="cancer", filters={"sex": ("F",)}, ranges={"studies": Range(None, 4000)}, page_size=50),
    SearchQuery(sort="-studies", page_size=100),
]


def answers(snapshot: Snapshot) -> list[Any]:
    out = []
    for query in QUESTIONS:
        result = snapshot.search(query)
        out.append((result.identifiers, result.total,
                    {name: [(v.value, v.label, v.count, v.parent, v.depth) for v in values]
                     for name, values in result.facets.items()}))
    for prefix in ("lu", "c", "breast ca", "hospital", "m"):
        out.append([(s.kind, s.value, s.label, s.count) for s in snapshot.autocomplete(prefix, 50)])
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_applied_snapshots_answer_exactly_as_a_full_build(seed: int) -> None:
    rng = random.Random(seed)
    docs = {f"d{i:03d}": make_doc(f"d{i:03d}", rng) for i in range(60)}
    snapshot = Snapshot(docs.items(), key=0)
    snapshot.autocomplete("a", 1)  # the autocomplete entries are built, so applies must bring them forward too
    for step in range(1, 25):
        changes: dict[str, Any] = {}
        for _ in range(rng.randint(1, 4)):
            action = rng.random()
            if action < 0.4 or not docs:
                identifier = f"n{step:02d}{len(changes)}"
                changes[identifier] = docs[identifier] = make_doc(identifier, rng)
            elif action < 0.7:
                identifier = rng.choice(sorted(docs))
                changes[identifier] = docs[identifier] = make_doc(identifier, rng)  # replaced: new title too
            else:
                identifier = rng.choice(sorted(docs))
                del docs[identifier]
                changes[identifier] = None
        changes["never-indexed"] = None  # a delete of what the snapshot never had changes nothing
        snapshot = snapshot.applied(changes, key=step)
        assert snapshot.n_live == len(docs)
        assert answers(snapshot) == answers(Snapshot(docs.items(), key=step)), f"step {step}"
    assert snapshot.dead_share > 0


def test_applied_leaves_the_snapshot_it_came_from_untouched() -> None:
    rng = random.Random(9)
    docs = {f"d{i}": make_doc(f"d{i}", rng) for i in range(20)}
    before = Snapshot(docs.items(), key="before")
    expected = answers(before)
    replaced = make_doc("d3", rng, title="Zebra unique replacement title")
    after = before.applied({"d3": replaced, "d4": None, "new": make_doc("new", rng)}, key="after")
    assert answers(before) == expected
    assert after.search(SearchQuery(text="zebra")).identifiers == ["d3"]
    assert before.search(SearchQuery(text="zebra")).total == 0
    assert "d4" not in after.search(SearchQuery(page_size=100)).identifiers
    assert "d4" in before.search(SearchQuery(page_size=100)).identifiers


def test_a_replaced_document_is_found_by_its_new_words_only_and_counted_once() -> None:
    rng = random.Random(4)
    docs = {f"d{i}": make_doc(f"d{i}", rng) for i in range(10)}
    docs["d0"] = make_doc("d0", rng, title="Wombat archive")
    snapshot = Snapshot(docs.items())
    assert snapshot.search(SearchQuery(text="wombat")).identifiers == ["d0"]
    new = make_doc("d0", rng, title="Quokka archive")
    new["facets"]["country"], new["labels"]["country"] = ["PRT"], {"PRT": "Portugal"}
    applied = snapshot.applied({"d0": new}, key=1)
    assert applied.search(SearchQuery(text="quokka")).identifiers == ["d0"]
    assert applied.search(SearchQuery(text="wombat")).total == 0
    result = applied.search(SearchQuery(page_size=100))
    assert result.total == 10 and result.identifiers.count("d0") == 1
    assert [(v.value, v.label, v.count) for v in result.facets["country"] if v.value == "PRT"] == [("PRT", "Portugal", 1)]
    assert sum(v.count for v in result.facets["country"]) == 10
    assert applied.dead_share == pytest.approx(1 / 11)


def test_deleting_every_document_leaves_an_empty_answer() -> None:
    rng = random.Random(5)
    docs = {f"d{i}": make_doc(f"d{i}", rng) for i in range(5)}
    snapshot = Snapshot(docs.items()).applied(dict.fromkeys(docs), key=1)
    result = snapshot.search(SearchQuery(text="cancer"))
    assert (result.total, result.identifiers) == (0, [])
    assert all(values == [] for values in snapshot.search(SearchQuery()).facets.values())
    assert snapshot.autocomplete("lung", 10) == [] and snapshot.n_live == 0 and snapshot.dead_share == 1.0


def test_an_empty_snapshot_takes_documents_and_their_typos() -> None:
    rng = random.Random(6)
    snapshot = Snapshot([], key=0).applied({"d1": make_doc("d1", rng, title="Glioblastoma cohort")}, key=1)
    assert snapshot.search(SearchQuery(text="glioblastma")).identifiers == ["d1"]  # typo index of added words
    assert set(snapshot.search(SearchQuery()).facets) == set(FACETS)

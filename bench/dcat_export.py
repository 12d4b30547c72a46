"""Benchmark: the streamed DCAT export against rdflib's own `Graph.serialize` of the same graph, same run.

    .venv/bin/python bench/dcat_export.py                      # 1,000 / 2,000 / 10,000 datasets, every format
    .venv/bin/python bench/dcat_export.py --sizes 1000 2000 --formats ttl

Every configuration runs in its own child process, so each peak RSS is that configuration's alone (read from
`os.wait4`, the rusage of exactly that child). Each configuration runs `--repeat` times (rdflib: twice up to
2,000 datasets, once above) and the fastest run counts, the usual way to keep other load on the machine out of
the figures; the peak RSS is the largest of the runs. What is timed:

* ours:   generating the descriptors AND exporting them (catalogue.dcat.serializer.export_descriptors) to a
          file: end to end, so the comparison is conservative;
* rdflib: `Graph.serialize(destination=..., format=...)` only, of a graph holding the same triples (built
          before the clock starts, by parsing our N-Triples output). rdflib Turtle runs at 1,000 and 2,000
          datasets only: it is superlinear.

Targets (issue "DCAT-AP 3 / HealthDCAT-AP / EUCAIM profiles"): Turtle at least 20x faster than rdflib at 2,000
datasets; time per dataset at 10,000 at most 1.2x that at 1,000; peak RSS of the streamed export at 10,000 at
most 1.5x that at 1,000. Not part of the test suite: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASE_URL = "https://atlas.example.eu/"
FORMATS = ("ttl", "nt", "rdf", "jsonld")
RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}
RDFLIB_TURTLE_MAX = 2000


def generate(n: int) -> Iterator[object]:
    """n varied, deterministic descriptors, lazily (a list would make the export's memory grow with n)."""
    from catalogue.dcat.namespaces import ACCESS_LEVELS, EHDS_REGULATION
    from catalogue.descriptors import (
        AgentRef,
        Checksum,
        ContactPoint,
        DatasetDescriptor,
        DistributionDescriptor,
        LangText,
        SeriesRef,
    )

    eu = "http://publications.europa.eu/resource/authority/"
    hdeu = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"
    eucaim = "https://cancerimage.eu/ontology/EUCAIM#"
    modalities = [f"http://dicom.nema.org/resources/ontology/DCM/{m}" for m in ("CT", "MR", "PT", "SEG", "CR", "MG")]
    body_parts = [f"http://snomed.info/id/{c}" for c in ("816094009", "10200004", "38266002", "76752008")]
    publishers = [AgentRef(name=f"Hospital {i}", iri=f"https://hospital-{i}.example/org",
                           email=f"data@hospital-{i}.example") for i in range(40)]
    for i in range(n):
        rng = random.Random(i)
        complete = i % 3 != 2
        guid = f"bench-{i:06d}"
        title = (LangText("en", f"Imaging cohort {i}: {rng.choice(['lung', 'liver', 'breast', 'prostate'])} cancer"),
                 LangText("fr", f"Cohorte d'imagerie {i}"))
        common = dict(
            guid=guid,
            title=title,
            description=(LangText("en", f"De-identified studies of cohort {i}, with \"quotes\" and a\nnewline."),),
            keywords=tuple(rng.sample(["CT", "MR", "PET", "oncology", "radiomics", "screening", "AI"], 3)),
            issued=f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            modified="2024-05-06T07:08:09Z",
            landing_page=f"https://hospital-{i % 40}.example/datasets/{guid}",
            publisher=publishers[i % 40],
        )
        if not complete:
            yield DatasetDescriptor(**common)  # type: ignore[arg-type]
            continue
        yield DatasetDescriptor(
            **common,  # type: ignore[arg-type]
            themes=(eu + "data-theme/HEAL",),
            health_categories=(hdeu + "healthcategories/RQSH",),
            health_themes=(hdeu + "health-theme/CANCER_DISEASE",),
            dataset_types=(eucaim + "SPEC1000020",),
            access_rights=ACCESS_LEVELS[i % 3],
            applicable_legislation=(EHDS_REGULATION,),
            contact_points=(ContactPoint(name="Data steward", email=f"steward{i % 40}@hospital.example"),),
            hdab=AgentRef(name="National HDAB", iri="https://hdab.example/", contact_page="https://hdab.example/c"),
            provenance=(LangText("en", "Routine care imaging, de-identified at the node."),),
            has_structured_data=False,
            n_subjects=rng.randint(1, 5000),
            n_studies=rng.randint(5, 9000),
            min_age=rng.randint(18, 40),
            max_age=rng.randint(60, 95),
            acquisition_year_min=2010 + i % 5,
            acquisition_year_max=2020 + i % 5,
            birth_sex=(eucaim + "COM1001370", eucaim + "COM1001366"),
            cancer_types=("http://snomed.info/id/254637007",),
            modalities=tuple(rng.sample(modalities, 2)),
            manufacturers=("SIEMENS", "GE MEDICAL SYSTEMS"),
            body_parts=tuple(rng.sample(body_parts, 1)),
            collection_methods=(eucaim + "SPEC1000004",),
            tier="https://atlas.example.eu/vocab/tier/1",
            version="1.0",
            series=SeriesRef(key=f"biobank-{i % 50}", title=(LangText("en", f"Biobank {i % 50}"),)),
            distributions=(DistributionDescriptor(
                access_urls=("https://negotiator.example/request",),
                download_urls=(f"https://hospital-{i % 40}.example/download/{guid}.zip",),
                title=(LangText("en", "DICOM files"),),
                format=eu + "file-type/ZIP",
                media_type="application/dicom",
                byte_size=rng.randint(10**6, 10**11),
                license=eu + "licence/CC_BY_4_0",
                rights=("https://eucaim.github.io/eucaim_dcat_ap/releases/controlled-vocabularies/access-conditions/"
                        "#DOWNLOAD",),
                applicable_legislation=(EHDS_REGULATION,),
                checksum=Checksum("sha256", f"{rng.getrandbits(256):064x}"),
            ),),
        )


# ================================================================================================ children


def child(mode: str, fmt: str, n: int, workdir: str) -> dict[str, float]:
    """One measured configuration; prints its figures as JSON on stdout."""
    if mode == "generate":
        import catalogue.dcat.serializer  # noqa: F401 - same imports as an export, so the RSS baseline compares

        start = time.perf_counter()
        count = sum(1 for _ in generate(n))
        return {"seconds": time.perf_counter() - start, "datasets": count}
    if mode == "ours":
        from catalogue.dcat.serializer import export_descriptors

        target = Path(workdir) / f"ours-{n}.{fmt}"
        start = time.perf_counter()
        with target.open("w", encoding="utf-8", newline="") as out:
            report = export_descriptors(generate(n), out, fmt=fmt, base_url=BASE_URL, k=10)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        size = target.stat().st_size
        if fmt != "nt":
            target.unlink()
        return {"seconds": seconds, "bytes": size, "triples": report.triples}
    if mode == "rdflib":
        from rdflib import Graph

        source = Path(workdir) / f"ours-{n}.nt"
        graph = Graph()
        graph.parse(source, format="nt")
        target = Path(workdir) / f"rdflib-{n}.{fmt}"
        start = time.perf_counter()
        graph.serialize(destination=str(target), format=RDFLIB_FORMAT[fmt], encoding="utf-8")
        seconds = time.perf_counter() - start
        size = target.stat().st_size
        target.unlink()
        return {"seconds": seconds, "bytes": size, "triples": len(graph)}
    raise ValueError(mode)


def best_of(repeat: int, mode: str, fmt: str, n: int, workdir: str) -> dict[str, float]:
    """The fastest of `repeat` runs, with the largest peak RSS of them."""
    runs = [run_child(mode, fmt, n, workdir) for _ in range(max(1, repeat))]
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["rss_mib"] = max(r["rss_mib"] for r in runs)
    return best


def run_child(mode: str, fmt: str, n: int, workdir: str) -> dict[str, float]:
    """Run a configuration in a fresh interpreter; add its own peak RSS (MiB) from os.wait4."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, fmt, str(n), workdir],
        stdout=subprocess.PIPE, cwd=str(ROOT),
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child {mode} {fmt} {n} failed with exit code {process.returncode}")
    figures = json.loads(output)
    figures["rss_mib"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return figures


# ================================================================================================ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 10000])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--no-rdflib", action="store_true", help="skip the rdflib baselines")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration of ours (the fastest counts)")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "FORMAT", "N", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, fmt, n, workdir = args.child
        print(json.dumps(child(mode, fmt, int(n), workdir)))
        return 0

    sizes = sorted(args.sizes)
    results: dict[tuple[str, str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="dcat-bench-") as workdir:
        baseline = run_child("generate", "nt", 0, workdir)
        print(f"interpreter + imports, no dataset: peak RSS {baseline['rss_mib']:.1f} MiB", flush=True)
        for n in sizes:
            results[("generate", "-", n)] = best_of(args.repeat, "generate", "nt", n, workdir)
            # N-Triples first: the rdflib children build their graph from it.
            for fmt in ["nt"] + [f for f in args.formats if f != "nt"]:
                results[("ours", fmt, n)] = best_of(args.repeat, "ours", fmt, n, workdir)
            for fmt in args.formats:
                if args.no_rdflib or (fmt == "ttl" and n > RDFLIB_TURTLE_MAX):
                    continue
                repeat = 2 if n <= RDFLIB_TURTLE_MAX else 1
                results[("rdflib", fmt, n)] = best_of(repeat, "rdflib", fmt, n, workdir)
            os.unlink(Path(workdir) / f"ours-{n}.nt")
            print(f"... {n} datasets done", flush=True)

    print()
    header = (f"{'datasets':>8} {'format':>6} {'triples':>9} {'ours s':>8} {'us/ds':>7} {'ours MiB':>8} "
              f"{'rdflib s':>9} {'rdflib MiB':>10} {'speedup':>8}")
    print(header)
    print("-" * len(header))
    for n in sizes:
        generation = results[("generate", "-", n)]["seconds"]
        for fmt in args.formats:
            ours = results[("ours", fmt, n)]
            theirs = results.get(("rdflib", fmt, n))
            line = (f"{n:>8} {fmt:>6} {int(ours['triples']):>9} {ours['seconds']:>8.2f} "
                    f"{ours['seconds'] / n * 1e6:>7.0f} {ours['rss_mib']:>8.1f}")
            if theirs:
                speedup = theirs["seconds"] / ours["seconds"]
                line += f" {theirs['seconds']:>9.2f} {theirs['rss_mib']:>10.1f} {speedup:>7.1f}x"
            else:
                line += f" {'-':>9} {'-':>10} {'-':>8}"
            print(line)
        print(f"{n:>8} {'(generating the descriptors alone, included above)':>40}: {generation:.2f} s")

    print("\nTargets")
    if ("rdflib", "ttl", 2000) in results:
        speedup = results[("rdflib", "ttl", 2000)]["seconds"] / results[("ours", "ttl", 2000)]["seconds"]
        print(f"  Turtle speedup over rdflib at 2,000 datasets: {speedup:.1f}x (target >= 20x)")
    low, high = sizes[0], sizes[-1]
    if high > low:
        for fmt in args.formats:
            per_low = results[("ours", fmt, low)]["seconds"] / low
            per_high = results[("ours", fmt, high)]["seconds"] / high
            rss_ratio = results[("ours", fmt, high)]["rss_mib"] / results[("ours", fmt, low)]["rss_mib"]
            print(f"  {fmt:>6}: time per dataset {high} vs {low}: {per_high / per_low:.2f}x (target <= 1.2x); "
                  f"peak RSS {high} vs {low}: {rss_ratio:.2f}x (target <= 1.5x); "
                  f"RSS above the bare interpreter: {results[('ours', fmt, low)]['rss_mib'] - baseline['rss_mib']:.1f}"
                  f" -> {results[('ours', fmt, high)]['rss_mib'] - baseline['rss_mib']:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

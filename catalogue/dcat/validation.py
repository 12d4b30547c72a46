"""Validate DCAT exports against the official shapes (DCAT-AP 3.0.1, HealthDCAT-AP Release 8), with pySHACL.

What runs, and why this way:

* DCAT-AP 3.0.1: the validator split `html-shacl/shapes.ttl` + `html-shacl/range.ttl` on the whole document
  (pySHACL rejects the single-file `shacl/ranges.ttl`), and `shapes_recommended.ttl` for warnings.
* HealthDCAT-AP R8: each dataset that uses HealthDCAT-AP properties is validated against the core shapes of its
  access level (`{public,restricted,non-public}-shapes.ttl` + `ranges/range.ttl`), and the recommended shapes of
  that level for warnings. The R8 shapes target every `dcat:Dataset` of the graph and pin `dct:accessRights`
  to one level, so each level runs on its own subgraph: its datasets with everything they reach, plus the
  catalogue. One pySHACL run per level, not per dataset (pySHACL is slow).
* pySHACL refuses the one property shape without `sh:path` in the R8 core files (the rule "hasStructuredData
  true => hasVariables"): it is dropped when the shapes are loaded and that rule is checked in code here.
* The controlled-vocabulary shapes need the EU vocabularies loaded as data and are not run.

The shapes ship inside the project (`catalogue/dcat/shapes/`, each folder with a NOTICE.md: source, version,
licence CC BY 4.0, checksums); the `ATLAS_SHAPES_DIR` setting points elsewhere, for a newer release.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import Graph
from rdflib.collection import Collection
from rdflib.term import BNode, Literal, Node, URIRef

from catalogue.dcat.namespaces import (
    ACCESS_LEVELS,
    ACCESS_NON_PUBLIC,
    ACCESS_PUBLIC,
    ACCESS_RESTRICTED,
    DCAT,
    DCT,
    HEALTHDCATAP_IRI,
    PREFIXES,
    RDF_TYPE,
    SH,
    normalise_namespace,
)

__all__ = [
    "ShaclResult",
    "ValidationReport",
    "drop_pathless_property_shapes",
    "load_shapes",
    "shapes_dir",
    "validate_graph",
]

DCATAP_CORE = ("dcat-ap-3/3.0.1/html-shacl/shapes.ttl", "dcat-ap-3/3.0.1/html-shacl/range.ttl")
DCATAP_RECOMMENDED = ("dcat-ap-3/3.0.1/html-shacl/shapes_recommended.ttl",)
_R8 = "healthdcat-ap/release-8-validator-transcribed/"
HEALTH_LEVEL_NAMES = {ACCESS_PUBLIC: "public", ACCESS_RESTRICTED: "restricted", ACCESS_NON_PUBLIC: "non-public"}
HEALTH_CORE = {level: (f"{_R8}shapes/{name}-shapes.ttl", f"{_R8}ranges/range.ttl")
               for level, name in HEALTH_LEVEL_NAMES.items()}
HEALTH_RECOMMENDED = {level: (f"{_R8}recommended/{name}-shapes_recommended.ttl",)
                      for level, name in HEALTH_LEVEL_NAMES.items()}

DCATAP_SUITE = "DCAT-AP 3.0.1"
_NAMES = {iri: prefix for prefix, iri in PREFIXES.items()}


def shapes_dir() -> Path:
    """Where the official shapes are: `ATLAS_SHAPES_DIR` (default: the copy shipped in catalogue/dcat/shapes)."""
    from config.app_settings import app_settings

    return app_settings.ATLAS_SHAPES_DIR


def qname(node: Node | str | None) -> str:
    """A short readable name for an IRI (prefix:local when a profile prefix covers it)."""
    if node is None:
        return ""
    text = str(node)
    cut = max(text.rfind("#"), text.rfind("/")) + 1
    prefix = _NAMES.get(text[:cut])
    return f"{prefix}:{text[cut:]}" if prefix and text[cut:] else text


def _remove_node(graph: Graph, node: Node, depth: int = 0) -> None:
    """Remove a blank node's triples and the blank nodes (lists, nested shapes) only it reaches."""
    for _, _, obj in list(graph.triples((node, None, None))):
        graph.remove((node, None, obj))
        if isinstance(obj, BNode) and depth < 32 and not any(True for _ in graph.triples((None, None, obj))):
            _remove_node(graph, obj, depth + 1)


def drop_pathless_property_shapes(graph: Graph) -> int:
    """Drop every `sh:property` value without `sh:path` (pySHACL refuses them); return how many were dropped."""
    dropped = 0
    for shape, _, prop in list(graph.triples((None, URIRef(SH.property), None))):
        if (prop, URIRef(SH.path), None) not in graph:
            graph.remove((shape, URIRef(SH.property), prop))
            if isinstance(prop, BNode):
                _remove_node(graph, prop)
            dropped += 1
    return dropped


@lru_cache(maxsize=16)
def _shape_triples(relative_paths: tuple[str, ...], directory: str) -> tuple[tuple[Node, Node, Node], ...]:
    graph = Graph()
    for relative in relative_paths:
        path = Path(directory) / relative
        if not path.is_file():
            raise FileNotFoundError(f"shape file {path} not found: set ATLAS_SHAPES_DIR to the shapes folder")
        graph.parse(path, format="turtle")
    drop_pathless_property_shapes(graph)
    return tuple(graph)


def load_shapes(relative_paths: tuple[str, ...], directory: str) -> Graph:
    """A fresh shapes graph (pySHACL adds to the graph it is given, so the parsed triples are cached, not the
    graph), with the path-less property shapes dropped."""
    graph = Graph()
    for triple in _shape_triples(relative_paths, directory):
        graph.add(triple)
    return graph


@dataclass(frozen=True)
class ShaclResult:
    """One SHACL result (or a rule checked in code), with a readable focus node and path."""

    suite: str
    severity: str
    focus: str
    path: str
    message: str
    component: str
    focus_class: str = ""
    value: str = ""

    def render(self) -> str:
        value = f" (value {self.value})" if self.value else ""
        return f"[{self.suite}] {self.severity}: {self.focus} {self.path or '-'}: {self.message}{value} " \
               f"[{self.component}]"


@dataclass
class ValidationReport:
    """Every result of every suite, plus which datasets were validated against which HealthDCAT-AP level."""

    results: list[ShaclResult] = field(default_factory=list)
    health_datasets: Counter[str] = field(default_factory=Counter)
    datasets: int = 0

    @property
    def violations(self) -> list[ShaclResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ShaclResult]:
        return [r for r in self.results if r.severity != "Violation"]

    def warning_counts(self) -> Counter[tuple[str, str, str, str]]:
        """Warnings by (suite, focus class, path, constraint): the "by shape" figures of the recommended sets."""
        return Counter((r.suite, r.focus_class, r.path, r.component) for r in self.warnings)

    def render(self, *, list_warnings: bool = False) -> str:
        lines = [r.render() for r in self.violations]
        if list_warnings:
            lines += [r.render() for r in self.warnings]
        levels = ", ".join(
            f"{HEALTH_LEVEL_NAMES.get(level, level)}: {n}" for level, n in sorted(self.health_datasets.items())
        )
        lines.append(f"{self.datasets} datasets; HealthDCAT-AP datasets by access level: {levels or 'none'}")
        lines.append(f"{len(self.violations)} violations, {len(self.warnings)} warnings (recommended properties)")
        for (suite, cls, path, component), count in sorted(self.warning_counts().items()):
            lines.append(f"  {count:6d}  [{suite}] {cls} {path} {component}")
        return "\n".join(lines)


# ================================================================================================ running


def _render_path(results: Graph, path: Node | None) -> str:
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return qname(path)
    alternative = results.value(path, URIRef(SH.alternativePath))
    if alternative is not None:
        return "(" + " | ".join(qname(p) for p in Collection(results, alternative)) + ")"
    inverse = results.value(path, URIRef(SH.inversePath))
    if inverse is not None:
        return "^" + qname(inverse)
    return "(complex path)"


def _describe(data: Graph, node: Node | None, depth: int = 0) -> str:
    """A focus node for people: an IRI, or a blank node named by the way from an IRI to it."""
    if node is None:
        return ""
    if not isinstance(node, BNode):
        return f"<{node}>"
    for subject, predicate, _ in data.triples((None, None, node)):
        if depth < 4:
            return f"{_describe(data, subject, depth + 1)} {qname(predicate)} [ ]"
    return "[ ]"


def _run(data: Graph, shapes: Graph, suite: str) -> list[ShaclResult]:
    import pyshacl

    _, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_infos=True, allow_warnings=True,
        meta_shacl=False, advanced=False, js=False, debug=False, do_owl_imports=False,
    )
    out = []
    for result in results.subjects(URIRef(RDF_TYPE), URIRef(SH.ValidationResult)):
        focus = results.value(result, URIRef(SH.focusNode))
        severity = results.value(result, URIRef(SH.resultSeverity))
        component = results.value(result, URIRef(SH.sourceConstraintComponent))
        value = results.value(result, URIRef(SH.value))
        messages = sorted(str(m) for m in results.objects(result, URIRef(SH.resultMessage)))
        types = sorted(qname(t) for t in data.objects(focus, URIRef(RDF_TYPE))) if focus is not None else []
        out.append(ShaclResult(
            suite=suite,
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            focus=_describe(data, focus),
            path=_render_path(results, results.value(result, URIRef(SH.resultPath))),
            message="; ".join(messages),
            component=str(component).rsplit("#", 1)[-1].replace("ConstraintComponent", "") if component else "",
            focus_class=", ".join(types),
            value="" if value is None else (str(value) if not isinstance(value, BNode) else "[ ]"),
        ))
    return sorted(out, key=lambda r: (r.suite, r.focus, r.path, r.component, r.message))


def _closure(data: Graph, starts: Iterable[Node], stop: set[Node]) -> Graph:
    """The triples of `starts` and of every node they reach, not entering the nodes in `stop`."""
    sub = Graph()
    seen: set[Node] = set()
    frontier = list(starts)
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in data.triples((node, None, None)):
            sub.add(triple)
            obj = triple[2]
            if not isinstance(obj, Literal) and obj not in seen and obj not in stop:
                frontier.append(obj)
    return sub


def _uses_healthdcatap(data: Graph, node: Node) -> bool:
    return any(normalise_namespace(str(p)).startswith(HEALTHDCATAP_IRI) for p in data.predicates(node, None))


def structured_data_rule(data: Graph, datasets: Iterable[Node], suite: str) -> list[ShaclResult]:
    """The R8 rule pySHACL cannot load: hasStructuredData true requires at least one hasVariables."""
    has_structured = URIRef(HEALTHDCATAP_IRI + "hasStructuredData")
    has_variables = URIRef(HEALTHDCATAP_IRI + "hasVariables")
    out = []
    for node in datasets:
        flags = [str(v).strip().lower() for v in data.objects(node, has_structured)]
        if any(f in ("true", "1") for f in flags) and (node, has_variables, None) not in data:
            out.append(ShaclResult(
                suite=suite, severity="Violation", focus=_describe(data, node), path=qname(has_variables),
                message="If healthdcatap:hasStructuredData is true, the dataset must include at least one "
                        "healthdcatap:hasVariables.",
                component="code:hasStructuredDataRequiresVariables", focus_class="dcat:Dataset",
            ))
    return out


def validate_graph(data: Graph, *, recommended: bool = True, directory: Path | None = None) -> ValidationReport:
    """Validate a DCAT document graph: DCAT-AP 3.0.1 on all of it, HealthDCAT-AP R8 per access level."""
    base = str(directory or shapes_dir())
    report = ValidationReport()
    dataset_type = URIRef(DCAT.Dataset)
    datasets = sorted(set(data.subjects(URIRef(RDF_TYPE), dataset_type)), key=str)
    report.datasets = len(datasets)
    report.results += _run(data, load_shapes(DCATAP_CORE, base), DCATAP_SUITE)
    if recommended:
        report.results += _run(data, load_shapes(DCATAP_RECOMMENDED, base), DCATAP_SUITE + " recommended")

    by_level: dict[str, list[Node]] = defaultdict(list)
    for node in datasets:
        if not _uses_healthdcatap(data, node):
            continue
        levels = [str(v) for v in data.objects(node, URIRef(DCT.accessRights))]
        level = levels[0] if len(levels) == 1 else ""
        if level not in ACCESS_LEVELS:
            report.results.append(ShaclResult(
                suite="HealthDCAT-AP R8", severity="Violation", focus=_describe(data, node), path="dct:accessRights",
                message="A HealthDCAT-AP dataset needs exactly one access level: PUBLIC, RESTRICTED or NON_PUBLIC "
                        f"(found {', '.join(levels) or 'none'}).",
                component="code:accessLevel", focus_class="dcat:Dataset",
            ))
            continue
        by_level[level].append(node)

    catalogues = set(data.subjects(URIRef(RDF_TYPE), URIRef(DCAT.Catalog)))
    for level, nodes in sorted(by_level.items()):
        suite = f"HealthDCAT-AP R8 {HEALTH_LEVEL_NAMES[level]}"
        report.health_datasets[level] = len(nodes)
        chosen = set(nodes)
        others = (set(datasets) - chosen) | catalogues
        sub = _closure(data, nodes, others)
        for catalogue in catalogues:
            for triple in data.triples((catalogue, None, None)):
                if triple[1] != URIRef(DCAT.dataset) or triple[2] in chosen:
                    sub.add(triple)
        report.results += _run(sub, load_shapes(HEALTH_CORE[level], base), suite)
        report.results += structured_data_rule(sub, nodes, suite)
        if recommended:
            report.results += _run(sub, load_shapes(HEALTH_RECOMMENDED[level], base), suite + " recommended")
    return report

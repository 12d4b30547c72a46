"""The data holder's side of the de-identification gate: `GatePolicy` and the private-tag allow-lists.

A policy is built from a harvest source's options (harvesters/dicom_folder/SIDECAR.md) and decides what the
PS3.15 standard leaves to the data holder: UID roots, the pseudonym pattern, accepted and attested options,
allowed values, dummy values, private tags and R6 objects the catalogue may ignore (docs/deid-gate.md, "The
data holder's policy"). Re-exported by `gate`, which applies it. No Django: gate workers import this.
"""


from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harvesters.dicom_folder.deid_tables import (
    DATA_DIR,
)

DEFAULT_ACCEPTED_OPTIONS = frozenset(
    {"113100", "113101", "113102", "113103", "113104", "113105", "113106", "113107", "113108", "113109",
     "113111", "113112"}
)  # 113110 (Retain UIDs) is off by default: it defeats R15.
DEFAULT_DUMMY_VALUES = frozenset(
    {"removed", "anonymous", "anonymized", "anonymised", "anonymous^anonymous", "deidentified", "de-identified",
     "unknown", "none"}
)
# Roots of vendors and toolkits that write original (site-assigned) UIDs; a data holder adds its own.
DEFAULT_DENY_UID_ROOTS = (
    "1.2.840.113619.",  # GE Healthcare
    "1.3.12.2.1107.",  # Siemens
    "1.3.46.670589.",  # Philips
    "1.2.840.113704.",  # Philips (legacy)
    "1.2.392.200036.9116.",  # Canon / Toshiba
    "1.2.392.200036.9125.",  # Fujifilm
    "1.2.276.0.7230010.3.",  # OFFIS DCMTK default root
    "1.3.6.1.4.1.5962.",  # dicom3tools (Clunie) sample data
)
DEFAULT_PSEUDONYM_PATTERN = r"EUCAIM-[0-9a-f]+(\^Anonymous)?"
DEFAULT_PROVIDER_PSEUDONYM_PATTERN = r"[0-9a-f]{64}"  # EUCAIM writes SHA-256(site id)
DEFAULT_MAX_FILE_BYTES = 1 << 30
SHIPPED_ALLOWLISTS_DIR = DATA_DIR / "private_allowlists"
R6_OBJECTS = frozenset({"IconImageSequence", "EncapsulatedDocument", "WaveformSequence", "OverlayData",
                        "CurveData"})


class PolicyError(ValueError):
    """An option of the source that cannot become a gate policy; `option` names it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


# ------------------------------------------------------------------------------------------- allow-lists

_CTP_PATTERN = re.compile(r'\(\s*([0-9A-Fa-f]{4})\s*,\s*"([^"]*)"\s*,\s*([0-9A-Fa-f]{2})\s*\)')


@dataclass(frozen=True)
class PrivateAllowList:
    """(group, Private Creator, element byte) triples a data holder declared safe (TCIA / CTP style).

    `creators` holds every creator the list names (kept or not): an empty reservation of such a block carries
    no value and may stay, while each of its elements must itself be allowed.
    """

    name: str = ""
    allowed: frozenset[tuple[int, str, int]] = frozenset()
    creators: frozenset[tuple[int, str]] = frozenset()

    @staticmethod
    def _key(creator: str) -> str:
        return " ".join(creator.split()).casefold()

    @classmethod
    def parse_ctp_csv(cls, text: str, *, name: str) -> PrivateAllowList:
        """Parse a CTP/TCIA private-tag list: `element_sig_pattern,tag_name,vr,private_disposition` rows.

        Only disposition "k" (keep) allows an element; anything that does not parse is an error, not skipped.
        """
        allowed: set[tuple[int, str, int]] = set()
        creators: set[tuple[int, str]] = set()
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        reader = csv.DictReader(io.StringIO("\n".join(lines)))
        required = {"element_sig_pattern", "private_disposition"}
        if reader.fieldnames is None or not required <= set(reader.fieldnames):
            raise PolicyError("private_tag_allowlist", f"{name}: needs columns {sorted(required)}")
        for line, row in enumerate(reader, start=2):
            match = _CTP_PATTERN.fullmatch((row["element_sig_pattern"] or "").strip())
            if match is None:
                raise PolicyError("private_tag_allowlist", f"{name}:{line}: not a (gggg,\"creator\",ee) pattern")
            group = int(match.group(1), 16)
            if not group & 1:
                raise PolicyError("private_tag_allowlist", f"{name}:{line}: group {match.group(1)} is not private")
            creator = cls._key(match.group(2))
            creators.add((group, creator))
            disposition = (row["private_disposition"] or "").strip().lower()
            if disposition not in {"k", "d", "h", "o", "na"}:
                raise PolicyError("private_tag_allowlist", f"{name}:{line}: unknown disposition")
            if disposition == "k":
                allowed.add((group, creator, int(match.group(3), 16)))
        return cls(name=name, allowed=frozenset(allowed), creators=frozenset(creators))

    @classmethod
    def from_patterns(cls, patterns: Iterable[str], *, name: str = "inline") -> PrivateAllowList:
        """An inline list of `(gggg,"Creator",ee)` strings, all kept."""
        rows = ["element_sig_pattern,private_disposition"]
        for pattern in patterns:
            if not isinstance(pattern, str):
                raise PolicyError("private_tag_allowlist", "inline entries must be strings")
            rows.append('"' + pattern.replace('"', '""') + '",k')
        return cls.parse_ctp_csv("\n".join(rows), name=name)

    @classmethod
    def shipped(cls, name: str) -> PrivateAllowList:
        """A list shipped in data/private_allowlists/<name>.csv."""
        if not re.fullmatch(r"[a-z0-9_-]{1,40}", name):
            raise PolicyError("private_tag_allowlist", "a shipped list name is lower-case letters, digits, - and _")
        path = SHIPPED_ALLOWLISTS_DIR / f"{name}.csv"
        if not path.is_file():
            raise PolicyError("private_tag_allowlist", f"no shipped list named {name!r}")
        return cls.parse_ctp_csv(path.read_text(encoding="utf-8"), name=name)

    def allows(self, group: int, creator: str, element: int) -> bool:
        return (group, self._key(creator), element & 0xFF) in self.allowed

    def knows_creator(self, group: int, creator: str) -> bool:
        return (group, self._key(creator)) in self.creators


def shipped_allowlist_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED_ALLOWLISTS_DIR.glob("*.csv"))


# ------------------------------------------------------------------------------------------------- policy


def _root(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*\.?", value):
        raise ValueError(f"{value!r} is not a UID root")
    return value if value.endswith(".") else value + "."


@dataclass(frozen=True)
class GatePolicy:
    """What a data holder agreed for one harvest source; every field is an option of the source (SIDECAR.md).

    deid_uid_roots: R15 roots instance UIDs must start with. pseudonym_pattern: R9/R10, full match.
    accepted_options: declared PS3.15 option codes this source honours (others are ignored, i.e. treated as
    not declared). attested_options: codes the data holder attests for every file even when a file does not
    declare them (e.g. TCIA reviews every image for burned-in text: 113101). allowed_values: per attribute
    keyword, a full-match regex of values the data holder documented as safe (e.g. a CTP hash); a sequence
    listed here is kept and its elements are still checked. dummy_values: Z/D and PN placeholders
    ("REMOVED"). strip_agreed: R6 objects the data holder agreed the catalogue ignores (it never stores pixels).
    """

    deid_uid_roots: tuple[str, ...] = ("2.25.",)
    deny_uid_roots: tuple[str, ...] = DEFAULT_DENY_UID_ROOTS
    pseudonym_pattern: re.Pattern[str] = field(default_factory=lambda: re.compile(DEFAULT_PSEUDONYM_PATTERN))
    provider_pseudonym_pattern: re.Pattern[str] = field(
        default_factory=lambda: re.compile(DEFAULT_PROVIDER_PSEUDONYM_PATTERN)
    )
    private_allowlist: PrivateAllowList = field(default_factory=PrivateAllowList)
    accepted_options: frozenset[str] = DEFAULT_ACCEPTED_OPTIONS
    attested_options: frozenset[str] = frozenset()
    allowed_values: tuple[tuple[str, re.Pattern[str]], ...] = ()
    dummy_values: frozenset[str] = DEFAULT_DUMMY_VALUES
    strip_agreed: frozenset[str] = frozenset()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "_allowed_map", dict(self.allowed_values))

    @property
    def allowed_map(self) -> Mapping[str, re.Pattern[str]]:
        return self._allowed_map  # type: ignore[attr-defined,no-any-return]

    # Option names this class reads (the harvester adds its own walking options).
    OPTION_NAMES = (
        "deid_uid_roots", "deny_uid_roots", "pseudonym_pattern", "provider_pseudonym_pattern",
        "private_tag_allowlist", "accepted_deid_options", "attested_deid_options", "allowed_values",
        "dummy_values", "strip_agreed", "max_file_bytes",
    )

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> GatePolicy:
        """Build a policy from a source's options; a bad value raises PolicyError naming the option."""
        kwargs: dict[str, Any] = {}

        def str_list(name: str, *, max_items: int = 200) -> list[str] | None:
            value = options.get(name)
            if value is None:
                return None
            if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in value):
                raise PolicyError(name, "must be a list of non-empty strings")
            if len(value) > max_items:
                raise PolicyError(name, f"at most {max_items} entries")
            return value

        def pattern(name: str, value: Any) -> re.Pattern[str]:
            if not isinstance(value, str) or not 0 < len(value) <= 500:
                raise PolicyError(name, "must be a regular expression of 1-500 characters")
            try:
                return re.compile(value)
            except re.error as exc:
                raise PolicyError(name, f"invalid regular expression ({exc.msg})") from exc

        for name in ("deid_uid_roots", "deny_uid_roots"):
            roots = str_list(name)
            if roots is not None:
                try:
                    kwargs[name] = tuple(_root(r) for r in roots)
                except ValueError as exc:
                    raise PolicyError(name, str(exc)) from exc
        if "deid_uid_roots" in kwargs and not kwargs["deid_uid_roots"]:
            raise PolicyError("deid_uid_roots", "at least one root is needed")
        for name in ("pseudonym_pattern", "provider_pseudonym_pattern"):
            if name in options:
                kwargs[name] = pattern(name, options[name])
        allow = options.get("private_tag_allowlist")
        if allow is not None:
            if isinstance(allow, str):
                kwargs["private_allowlist"] = PrivateAllowList.shipped(allow)
            elif isinstance(allow, list):
                kwargs["private_allowlist"] = PrivateAllowList.from_patterns(allow)
            else:
                raise PolicyError("private_tag_allowlist", "a shipped list name or a list of patterns")
        for opt_name, attr in (("accepted_deid_options", "accepted_options"),
                               ("attested_deid_options", "attested_options")):
            codes = str_list(opt_name)
            if codes is not None:
                bad = [c for c in codes if not re.fullmatch(r"1131(0\d|1[0-2])", c)]
                if bad:
                    raise PolicyError(opt_name, "codes are PS3.15 CID 7050 codes 113100-113112")
                kwargs[attr] = frozenset(codes)
        allowed = options.get("allowed_values")
        if allowed is not None:
            if not isinstance(allowed, dict) or len(allowed) > 100:
                raise PolicyError("allowed_values", "a mapping of attribute keyword to regular expression")
            pairs = []
            for keyword, regex in sorted(allowed.items()):
                if not isinstance(keyword, str) or not re.fullmatch(r"[A-Za-z0-9]{2,80}", keyword):
                    raise PolicyError("allowed_values", "keys are DICOM attribute keywords")
                pairs.append((keyword, pattern("allowed_values", regex)))
            kwargs["allowed_values"] = tuple(pairs)
        dummies = str_list("dummy_values")
        if dummies is not None:
            kwargs["dummy_values"] = DEFAULT_DUMMY_VALUES | {d.strip().casefold() for d in dummies}
        strip = str_list("strip_agreed")
        if strip is not None:
            unknown = set(strip) - R6_OBJECTS
            if unknown:
                raise PolicyError("strip_agreed", f"not an R6 object: {', '.join(sorted(unknown))}")
            kwargs["strip_agreed"] = frozenset(strip)
        if "max_file_bytes" in options:
            value = options["max_file_bytes"]
            if isinstance(value, bool) or not isinstance(value, int) or not 1024 <= value <= (1 << 40):
                raise PolicyError("max_file_bytes", "an integer between 1024 and 2**40")
            kwargs["max_file_bytes"] = value
        return cls(**kwargs)

    def fingerprint(self) -> str:
        """Stable hash of everything that can change a verdict (with GATE_VERSION): cached results need it."""
        from harvesters.dicom_folder.gate import GATE_VERSION  # the rules' version lives with the rules

        payload = {
            "v": GATE_VERSION,
            "roots": self.deid_uid_roots,
            "deny": self.deny_uid_roots,
            "pseudonym": self.pseudonym_pattern.pattern,
            "provider": self.provider_pseudonym_pattern.pattern,
            "private": sorted(self.private_allowlist.allowed),
            "creators": sorted(self.private_allowlist.creators),
            "accepted": sorted(self.accepted_options),
            "attested": sorted(self.attested_options),
            "allowed": [(k, p.pattern) for k, p in self.allowed_values],
            "dummies": sorted(self.dummy_values),
            "strip": sorted(self.strip_agreed),
            "max": self.max_file_bytes,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=list).encode()).hexdigest()

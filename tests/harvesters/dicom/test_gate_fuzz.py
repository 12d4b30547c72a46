"""The gate's own sequence-item parser (`reader._fast_items`, kept for speed) never accepts what pydicom would not.

The reference path below applies the SAME rules (`gate._Checker`) but takes every sequence's items from pydicom's
public API (`Dataset[tag].value`, a `Sequence` of `Dataset`s, each item's elements from `Dataset.elements()`) and
keeps no verdict memo. On well-formed files
(the real samples, the demo generator's files, every canary) both paths give the same verdict, reason for reason.
On mutated files (byte flips, truncations, inserted sequence items, lengths made odd or undefined, undefined-length
sequences and items) the gate's verdict is the reference's, or a refusal or error: never an acceptance the
reference refuses (docs/deid-gate.md, "Reading sequence items").
"""

from __future__ import annotations

import functools
import io
import os
import struct
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from harvesters.dicom_folder import gate, reader
from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS, TCIA_GATE_OPTIONS, _code_item, generate
from harvesters.dicom_folder.gate import ACCEPTED, REFUSED, GatePolicy, GateResult, check_file, error_result
from tests.harvesters.dicom.canaries import CANARY_OPTIONS, build_canary_folder
from tests.harvesters.dicom.conftest import HIGHDICOM_SEG, TCIA

# ------------------------------------------------------------------------------------------- the reference


class _NoMemo(dict[Any, Any]):
    """A memo that never remembers: the reference decides every element afresh."""

    def __setitem__(self, key: Any, value: Any) -> None:
        return None


class PydicomReferenceChecker(gate._Checker):
    """The gate's rules with sequence items read through pydicom's public Sequence API only."""

    @property  # type: ignore[override]
    def _memo(self) -> dict[Any, Any]:
        return _NoMemo()

    @_memo.setter
    def _memo(self, value: Any) -> None:
        return None

    def _parse_items(self, container: Any, t: int, elem: Any) -> list[Any]:
        dataset = container if isinstance(container, Dataset) else container.dataset
        return [_Item(item) for item in dataset[t].value or []]


class _Item(dict[int, Any]):
    """A sequence item as the rules read it: its elements as stored (`Dataset.elements()`, nothing converted),
    and the item itself, whose own sequences are read through pydicom again."""

    def __init__(self, dataset: Dataset) -> None:
        super().__init__((int(elem.tag), elem) for elem in dataset.elements())
        self.dataset = dataset


def reference_check(path: Path, policy: GatePolicy) -> GateResult:
    """`check_file` with the reference checker (same reading, same limits, same error handling)."""
    size = os.stat(path).st_size
    if size > policy.max_file_bytes:
        return error_result("file_too_large")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            read = reader._read(str(path), size)
            if read is None:
                return GateResult(REFUSED, ("p2_not_part10",))
            return PydicomReferenceChecker(read[0], read[1], policy, size).run()
        except Exception:  # noqa: BLE001 - as check_file: a file that breaks the parser is an error
            return error_result("malformed")


# ---------------------------------------------------------------------------------------------- base files

POLICIES = {"demo": GatePolicy.from_options(DEMO_SOURCE_OPTIONS), "tcia": GatePolicy.from_options(TCIA_GATE_OPTIONS),
            "canary": GatePolicy.from_options(CANARY_OPTIONS)}


def _demo_files(root: Path) -> dict[str, Path]:
    """One file of each shape the demo generator writes (CT, MR, PT, SEG with nested sequences)."""
    generate(root, datasets=4, subjects=1, instances=1, seed=11)
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix == ".json" or "sub-" not in str(path):
            continue
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        found.setdefault(f"demo-{ds.Modality}", path)
    return found


@functools.cache
def _bases() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, policy name) of files each policy ACCEPTS: mutations then try to sneak something past.

    Built once, outside the hypothesis arguments (a failing example then prints the mutation, not the files).
    """
    with tempfile.TemporaryDirectory(prefix="gate-fuzz-") as tmp:
        files = {name: (path.read_bytes(), "demo") for name, path in _demo_files(Path(tmp)).items()}
    files.update({f"tcia-{n}": ((TCIA / n).read_bytes(), "tcia") for n in ("1.dcm", "2.dcm", "3.dcm")})
    return files


@pytest.fixture(scope="module")
def bases() -> dict[str, tuple[bytes, str]]:
    return _bases()


def _sequences(ds: Dataset) -> Iterator[Sequence]:
    for elem in ds.iterall():
        if elem.VR == "SQ" and elem.value is not None:
            yield elem.value


_PERSONAL_ITEMS: list[tuple[str, Any]] = [
    ("code", None),  # a standard code item: harmless
    ("PatientName", "Doe^John"),
    ("OtherPatientIDs", "84736251"),
    ("StudyDate", "20190412"),
    ("ReferencedSOPInstanceUID", "1.3.12.2.1107.5.1.4.20190412"),
    ("InstitutionName", "Hospital General"),
    ("private", b"Doe^John"),
]


def _inserted_item(kind: str, value: Any) -> Dataset:
    if kind == "code":
        return _code_item("113100", "DCM", "Basic Application Confidentiality Profile")
    item = Dataset()
    if kind == "private":
        item.add_new(0x00130010, "LO", "CTP")
        item.add_new(0x00131020, "LO", value.decode())
    else:
        setattr(item, kind, value)
    return item


def _rewrite(data: bytes, *, insert: tuple[int, int] | None, undefined_sequences: bool, undefined_items: bool,
             odd_text: bool) -> bytes:
    """Re-encode a file with the structural changes (pydicom writes what it is given, padding aside)."""
    ds = pydicom.dcmread(io.BytesIO(data))
    sequences = list(_sequences(ds))
    if insert is not None and sequences:
        which, kind = insert
        sequences[which % len(sequences)].append(_inserted_item(*_PERSONAL_ITEMS[kind % len(_PERSONAL_ITEMS)]))
    for elem in ds.iterall():
        if elem.VR == "SQ":
            elem.is_undefined_length = undefined_sequences
            for item in elem.value or []:
                item.is_undefined_length_sequence_item = undefined_items
    if odd_text and sequences:
        for item in sequences[0]:
            item.add_new(0x0008103E, "LO", b"odd")  # raw bytes: written with their odd length, unpadded
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


_LONG = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}


def _length_fields(data: bytes, start: int, end: int, depth: int = 0) -> list[tuple[int, int]]:
    """(offset, size) of the item and element length fields inside a defined-length sequence value (best effort)."""
    out: list[tuple[int, int]] = []
    pos = start
    while pos + 8 <= end and depth < 8:
        group, element, length = struct.unpack_from("<HHI", data, pos)
        if (group, element) != (0xFFFE, 0xE000):
            break
        out.append((pos + 4, 4))
        if length == 0xFFFFFFFF:
            break
        item_end, p = min(pos + 8 + length, end), pos + 8
        while p + 8 <= item_end:
            vr = data[p + 4:p + 6]
            if vr in _LONG:
                if p + 12 > item_end:
                    break
                out.append((p + 8, 4))
                (value_length,), value_start = struct.unpack_from("<I", data, p + 8), p + 12
            else:
                out.append((p + 6, 2))
                (value_length,), value_start = struct.unpack_from("<H", data, p + 6), p + 8
            if value_length == 0xFFFFFFFF:
                break
            if vr == b"SQ":
                out += _length_fields(data, value_start, value_start + value_length, depth + 1)
            p = value_start + value_length
        pos = item_end
    return out


def _regions(data: bytes) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
    """(end of the header, raw sequence value ranges, length fields inside them) of an encoded file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp = io.BytesIO(data)
        ds = pydicom.dcmread(fp, stop_before_pixels=True)
        header_end = fp.tell()
        spans, lengths = [], []
        for elem in ds.elements():
            if elem.VR == "SQ" and isinstance(elem, pydicom.dataelem.RawDataElement) and elem.length != 0xFFFFFFFF:
                spans.append((elem.value_tell, elem.value_tell + elem.length))
                lengths.append((elem.value_tell - 4, 4))
                lengths += _length_fields(data, elem.value_tell, elem.value_tell + elem.length)
    return header_end, spans, lengths


_OPS = st.one_of(
    st.tuples(st.just("flip"), st.booleans(), st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.floats(0.05, 1, exclude_max=True)),
    st.tuples(st.just("length"), st.integers(0, 10_000), st.sampled_from([-3, -2, -1, 1, 2, 3, 7, None])),
)


def _mutate(data: bytes, ops: list[tuple[Any, ...]]) -> bytes:
    buf = bytearray(data)
    header_end, spans, lengths = _regions(data)
    for op in ops:
        if op[0] == "flip":
            _, in_sequence, where, xor = op
            start, end = spans[int(where * 1000) % len(spans)] if in_sequence and spans else (0, header_end)
            pos = start + int(where * max(1, end - start)) % max(1, end - start)
            if pos < len(buf):
                buf[pos] ^= xor
        elif op[0] == "truncate":
            del buf[max(132, int(op[1] * min(len(buf), header_end + 64))):]
        elif lengths:
            offset, size = lengths[op[1] % len(lengths)]
            if offset + size > len(buf):
                continue
            fmt = "<I" if size == 4 else "<H"
            (old,) = struct.unpack_from(fmt, buf, offset)
            new = 0xFFFFFFFF if op[2] is None and size == 4 else (old + (op[2] or 1)) % (1 << (8 * size))
            struct.pack_into(fmt, buf, offset, new)
    return bytes(buf)


def _verdicts(path: Path, policy: GatePolicy) -> tuple[GateResult, GateResult]:
    return check_file(path, policy), reference_check(path, policy)


# -------------------------------------------------------------------------------------------------- tests


def test_both_paths_accept_every_base_file_with_the_same_facts(bases: dict[str, tuple[bytes, str]],
                                                                tmp_path: Path) -> None:
    """The fuzz starts from accepted files, so a mutation can only make the gate wrong by accepting."""
    assert len(bases) >= 6
    for name, (data, policy) in bases.items():
        path = tmp_path / f"{name}.dcm"
        path.write_bytes(data)
        fast, ref = _verdicts(path, POLICIES[policy])
        assert fast.status == ACCEPTED, (name, fast.reasons)
        assert fast == ref, name


def test_both_paths_give_the_same_verdict_on_every_canary_and_real_refused_file(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Well-formed files: the same verdict reason for reason, including every personal value nested in a sequence."""
    canaries = build_canary_folder(tmp_path_factory.mktemp("canary-ref") / "node")
    files = sorted(canaries.location.rglob("*.dcm")) + [HIGHDICOM_SEG, *sorted(TCIA.glob("*.dcm"))]
    for path in files:
        fast, ref = _verdicts(path, POLICIES["canary"])
        assert fast == ref, path.name
    refused = sum(check_file(p, POLICIES["canary"]).status == REFUSED for p in files)
    assert refused > 1200  # every canary (and the real files under the canary policy) is refused


@settings(max_examples=800, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(
    base=st.integers(0, 100),
    insert=st.none() | st.tuples(st.integers(0, 50), st.integers(0, len(_PERSONAL_ITEMS) - 1)),
    undefined_sequences=st.booleans(),
    undefined_items=st.booleans(),
    odd_text=st.booleans(),
    ops=st.lists(_OPS, max_size=3),
)
@example(base=0, insert=None, undefined_sequences=False, undefined_items=False, odd_text=False, ops=[])
@example(base=3, insert=(0, 1), undefined_sequences=False, undefined_items=True, odd_text=True, ops=[])
def test_a_mutated_file_is_never_accepted_when_the_pydicom_path_refuses_it(
    tmp_path: Path, base: int, insert: tuple[int, int] | None, undefined_sequences: bool, undefined_items: bool,
    odd_text: bool, ops: list[tuple[Any, ...]],
) -> None:
    bases = _bases()
    name = sorted(bases)[base % len(bases)]
    data, policy_name = bases[name]
    policy = POLICIES[policy_name]
    data = _rewrite(data, insert=insert, undefined_sequences=undefined_sequences, undefined_items=undefined_items,
                    odd_text=odd_text)
    data = _mutate(data, ops)
    path = tmp_path / "mutated.dcm"
    path.write_bytes(data)
    fast, ref = _verdicts(path, policy)
    event(f"gate {fast.status}, reference {ref.status}")
    if fast.status == ACCEPTED:
        assert ref.status == ACCEPTED, (name, ref.reasons)
        assert fast == ref
    elif fast.status == ref.status == REFUSED:
        event("same reasons" if fast.reasons == ref.reasons else "different reasons")

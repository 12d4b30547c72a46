"""Reading one DICOM file for the gate: the whole header, the elements after the pixel data, and sequence items.

`_read` is pydicom's `dcmread(stop_before_pixels=True, defer_size="256 KB")` (docs/privacy.md P1, P2) plus
`_read_tail` for what follows the pixel data and `_check_complete` for truncation, which pydicom does not report.
`_fast_items` is the gate's own parser of defined-length, explicit VR little endian sequence values, kept for
speed (docs/deid-gate.md, "Reading sequence items"): anything it does not handle falls back to pydicom, anything
inconsistent is `_Malformed`, and tests/harvesters/dicom/test_gate_fuzz.py holds it to the pydicom path.
"""


from __future__ import annotations

import io
import os
import struct
from functools import lru_cache
from typing import BinaryIO

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_dataset

DEFER_SIZE = "256 KB"

_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})


class _Malformed(Exception):
    """The file parses but its structure is unusable (nesting, element count)."""


def _read_tail(fp: BinaryIO, ds: Dataset, size: int) -> Dataset | None:
    """Elements stored after the pixel data (e.g. (FFFA,FFFA), (FFFC,FFFC)), which stop_before_pixels skips.

    dcmread leaves the file positioned at the pixel data tag when it stops; skip that element (defined length,
    or the items of encapsulated data) and read whatever follows with the same deferral.
    """
    start = fp.tell()
    if start + 8 > size:
        return None
    implicit, little = ds.original_encoding
    if implicit is None:
        return None
    endian = "<" if little else ">"
    header = fp.read(8)
    group, element = struct.unpack(endian + "HH", header[:4])
    if (group << 16 | element) not in _PIXEL_TAGS:
        return None
    if implicit:
        (length,) = struct.unpack(endian + "I", header[4:8])
    elif header[4:6] in (b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN", b"SQ", b"UT", b"UC", b"UR"):
        (length,) = struct.unpack(endian + "I", fp.read(4))
    else:
        (length,) = struct.unpack(endian + "H", header[6:8])
    if length == 0xFFFFFFFF:
        while True:
            item = fp.read(8)
            if len(item) < 8:
                raise _Malformed("encapsulated pixel data ends without a delimiter")
            item_group, item_element, item_length = struct.unpack(endian + "HHI", item)
            if (item_group, item_element) == (0xFFFE, 0xE0DD):
                break
            if (item_group, item_element) != (0xFFFE, 0xE000) or item_length == 0xFFFFFFFF:
                raise _Malformed("encapsulated pixel data item is not an item")
            fp.seek(item_length, os.SEEK_CUR)
            if fp.tell() > size:
                raise _Malformed("encapsulated pixel data item runs past the end of the file")
    else:
        fp.seek(length, os.SEEK_CUR)
    if fp.tell() > size:
        raise _Malformed("pixel data runs past the end of the file (truncated)")
    if fp.tell() == size:
        return None
    return read_dataset(fp, implicit, little, defer_size=DEFER_SIZE)


def _check_complete(ds: Dataset, size: int) -> None:
    """pydicom stops silently on a truncated file: make sure the last element ends where the file does."""
    last_end = 0
    for elem in ds._dict.values():  # noqa: SLF001
        if not isinstance(elem, RawDataElement) or elem.length == 0xFFFFFFFF:
            continue
        if elem.value is not None and len(elem.value) != elem.length:
            raise _Malformed("file ends inside an element value (truncated)")
        last_end = max(last_end, elem.value_tell + elem.length)
    if 0 < size - last_end < 8 or last_end > size:
        raise _Malformed("file ends inside an element (truncated)")


# Files up to this size are read with one system call and parsed from memory: pydicom issues hundreds of small
# reads and tells per header, which cost less on a BytesIO than on a buffered file. Larger files (pixel data)
# are parsed from the file so that only the header is read.
_IN_MEMORY_MAX = 256 * 1024


class _FileBytes(io.BytesIO):
    """A file's bytes, named like the file (pydicom records the name as the dataset's filename)."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def _read(path: str, size: int) -> tuple[Dataset, Dataset | None] | None:
    """(header, tail) of a Part-10 file, or None when the file is not Part-10 (P2: no force)."""
    with open(path, "rb") as raw:
        fp: BinaryIO = raw
        if size <= _IN_MEMORY_MAX:
            data = raw.read(size + 1)
            if len(data) == size:  # else the file changed since its stat: parse it from the file as usual
                fp = _FileBytes(data, raw.name)
            else:
                raw.seek(0)
        try:
            ds = pydicom.dcmread(fp, stop_before_pixels=True, defer_size=DEFER_SIZE)
        except InvalidDicomError:
            return None
        meta = getattr(ds, "file_meta", None)
        if meta is None or len(meta) == 0 or "TransferSyntaxUID" not in meta:
            return None
        if meta.TransferSyntaxUID == pydicom.uid.DeflatedExplicitVRLittleEndian:
            # The inflated stream is internal to pydicom: read it again in full (values stay deferred).
            full = pydicom.dcmread(path, defer_size=DEFER_SIZE)
            tail = Dataset()
            for tag in full.keys():
                if tag > 0x7FE00010:
                    tail._dict[tag] = full.get_item(tag, keep_deferred=True)  # noqa: SLF001
            return ds, (tail if len(tail) else None)
        if fp.tell() >= size:
            _check_complete(ds, size)
        return ds, _read_tail(fp, ds, size)


_ITEM_HEADER = struct.Struct("<HHI")
_TAG_HEADER = struct.Struct("<HH")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
_KNOWN_VRS = _LONG_VRS | frozenset({"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN",
                                    "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"})


def _fast_items(buf: bytes) -> list[dict[int, RawDataElement]] | None:
    """Items of a defined-length, explicit VR little endian sequence value, without building pydicom Datasets.

    Why: pydicom leaves defined-length sequences unparsed until accessed, and parsing them through Dataset
    objects costs more than reading the whole rest of the header. Anything this parser does not handle
    (undefined lengths, unknown VRs) returns None and the caller falls back to pydicom; anything
    inconsistent (a length past its container) is malformed.
    """
    items: list[dict[int, RawDataElement]] = []
    pos, end = 0, len(buf)
    while pos < end:
        if pos + 8 > end:
            raise _Malformed("truncated sequence item")
        group, element, length = _ITEM_HEADER.unpack_from(buf, pos)
        pos += 8
        if group != 0xFFFE or element not in (0xE000, 0xE0DD):
            raise _Malformed("sequence content is not an item")
        if element == 0xE0DD:
            break
        if length == 0xFFFFFFFF:
            return None
        item_end = pos + length
        if item_end > end:
            raise _Malformed("sequence item runs past its sequence")
        item: dict[int, RawDataElement] = {}
        while pos < item_end:
            if pos + 8 > item_end:
                raise _Malformed("truncated element")
            group, element = _TAG_HEADER.unpack_from(buf, pos)
            vr = buf[pos + 4:pos + 6].decode("latin-1")
            if vr not in _KNOWN_VRS:
                return None
            if vr in _LONG_VRS:
                if pos + 12 > item_end:
                    raise _Malformed("truncated element")
                (value_length,) = _U32.unpack_from(buf, pos + 8)
                start = pos + 12
            else:
                (value_length,) = _U16.unpack_from(buf, pos + 6)
                start = pos + 8
            if value_length == 0xFFFFFFFF:
                return None
            pos = start + value_length
            if pos > item_end:
                raise _Malformed("element runs past its item")
            tag = group << 16 | element
            item[tag] = RawDataElement(tag, vr, value_length, buf[start:pos], 0, False, True)  # type: ignore[arg-type]
        items.append(item)
    return items


_ITEMS_CACHE_MAX_BYTES = 4096


@lru_cache(maxsize=256)
def _fast_items_cached(buf: bytes) -> list[dict[int, RawDataElement]] | None:
    """`_fast_items` of a small sequence value, memoised: the same code sequences recur in every file.

    The items are read-only for the checker (it never writes to an item), so files may share them.
    """
    return _fast_items(buf)

"""What the database keeps of file paths and folder names is keyed: a guessable name cannot be tried back."""

from __future__ import annotations

import hashlib

from django.test import override_settings

from harvesters.dicom_folder.harvester import _folder_guid, _rel_key

NAME = "DOE_JOHN"


def _plain(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_refused_folder_guid_is_not_a_plain_hash_of_its_name_and_depends_on_the_secret() -> None:
    guid = _folder_guid(NAME)
    assert NAME not in guid and _plain(NAME)[:16] not in guid
    with override_settings(SECRET_KEY="another-secret-key-" * 4):
        assert _folder_guid(NAME) != guid
    assert _folder_guid(NAME) == guid  # stable for one secret: re-harvests find the same row


def test_manifest_keys_are_keyed_hashes_of_the_relative_path() -> None:
    rel = f"{NAME}/IM0001.dcm"
    key = _rel_key(rel)
    assert len(key) == 32 and key != _plain(rel)[:32]
    with override_settings(SECRET_KEY="another-secret-key-" * 4):
        assert _rel_key(rel) != key


def test_subject_keys_are_keyed_before_they_are_stored(vocab, demo_folder, make_context) -> None:  # type: ignore[no-untyped-def]
    """The manifest and the staged descriptors never hold a plain SHA-256 of a PatientID pseudonym."""
    import json

    import pydicom

    from harvesters.base import subject_key_hash
    from harvesters.dicom_folder.harvester import DicomFolderHarvester

    context = make_context(demo_folder)
    items = list(DicomFolderHarvester(context).gather())
    files = [p for p in demo_folder.rglob("*") if p.is_file() and p.name != "dataset.json"]
    pseudonyms = {str(pydicom.dcmread(p, stop_before_pixels=True, force=True).get("PatientID", "")) for p in files}
    plain = {_plain(p) for p in pseudonyms}
    keys = {f.subject_key for i in items if i.descriptor is not None for f in i.descriptor.study_facts}
    assert keys and not keys & plain
    assert keys <= {subject_key_hash(_plain(p)) for p in pseudonyms}
    manifest = json.dumps(context.state)
    assert not any(h in manifest for h in plain)

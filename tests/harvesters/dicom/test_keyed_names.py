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

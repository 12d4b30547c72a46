"""Source options become a gate policy, or are refused naming the option."""

from __future__ import annotations

from typing import Any

import pytest

from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS, TCIA_GATE_OPTIONS
from harvesters.dicom_folder.gate import GatePolicy, PolicyError, PrivateAllowList, shipped_allowlist_names


def test_shipped_tcia_allowlist_covers_the_private_tags_of_the_tcia_files() -> None:
    allow = PrivateAllowList.shipped("tcia")
    assert allow.allows(0x0013, "CTP", 0x1010) and allow.allows(0x0013, "ctp ", 0x1013)
    assert not allow.allows(0x0013, "CTP", 0x1099)
    assert not allow.allows(0x0015, "CTP", 0x1010)  # the group is part of the key
    assert allow.knows_creator(0x0029, "SIEMENS MEDCOM HEADER")
    assert not allow.allows(0x0029, "SIEMENS MEDCOM HEADER", 0x1010)  # listed as "d": never allowed
    assert "tcia" in shipped_allowlist_names()


def test_ctp_style_list_parses_keep_rows_only_and_refuses_garbage() -> None:
    text = (
        "# comment\n"
        "element_sig_pattern,tag_name,vr,private_disposition\n"
        '"(0019,""GEMS_ACQU_01"",02)",Detector Channel,SL,k\n'
        '"(0019,""GEMS_ACQU_01"",03)",Cell number,DS,d\n'
    )
    allow = PrivateAllowList.parse_ctp_csv(text, name="ge")
    assert allow.allows(0x0019, "GEMS_ACQU_01", 0x1002)
    assert not allow.allows(0x0019, "GEMS_ACQU_01", 0x1003)
    with pytest.raises(PolicyError, match="private_tag_allowlist"):
        PrivateAllowList.parse_ctp_csv(text.replace("(0019", "(0018"), name="even-group")
    with pytest.raises(PolicyError, match="private_tag_allowlist"):
        PrivateAllowList.parse_ctp_csv("element_sig_pattern,private_disposition\nnot-a-pattern,k\n", name="bad")


def test_inline_allowlist_and_shipped_name_both_work() -> None:
    inline = GatePolicy.from_options({"private_tag_allowlist": ['(0013,"CTP",10)']})
    assert inline.private_allowlist.allows(0x0013, "CTP", 0x1010)
    assert GatePolicy.from_options(TCIA_GATE_OPTIONS).private_allowlist.name == "tcia"


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"deid_uid_roots": ["2.25.x"]}, "deid_uid_roots"),
        ({"deid_uid_roots": []}, "deid_uid_roots"),
        ({"pseudonym_pattern": "("}, "pseudonym_pattern"),
        ({"private_tag_allowlist": "../../etc/passwd"}, "private_tag_allowlist"),
        ({"private_tag_allowlist": "no-such-list"}, "private_tag_allowlist"),
        ({"accepted_deid_options": ["113199"]}, "accepted_deid_options"),
        ({"attested_deid_options": "113101"}, "attested_deid_options"),
        ({"allowed_values": {"Not a keyword": ".*"}}, "allowed_values"),
        ({"strip_agreed": ["PixelData"]}, "strip_agreed"),
        ({"max_file_bytes": True}, "max_file_bytes"),
    ],
)
def test_bad_option_values_are_refused_naming_the_option(options: dict[str, Any], option: str) -> None:
    with pytest.raises(PolicyError) as excinfo:
        GatePolicy.from_options(options)
    assert excinfo.value.option == option


def test_fingerprint_changes_with_every_verdict_relevant_option() -> None:
    base = GatePolicy.from_options(DEMO_SOURCE_OPTIONS).fingerprint()
    assert base == GatePolicy.from_options(dict(DEMO_SOURCE_OPTIONS)).fingerprint()
    for change in ({"dummy_values": ["XX"]}, {"strip_agreed": []}, {"deid_uid_roots": ["2.25."]},
                   {"accepted_deid_options": ["113100"]}, {"max_file_bytes": 4096}):
        assert GatePolicy.from_options({**DEMO_SOURCE_OPTIONS, **change}).fingerprint() != base

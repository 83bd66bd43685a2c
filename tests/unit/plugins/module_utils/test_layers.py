"""The layer registry and the inventory's waivers."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils import _layers, _preflight

TODAY = datetime.date(2026, 12, 1)
GOOD = {"reason": "vendor fix pending", "approver": "security team", "expires": "2027-03-31"}


def test_a_layer_gets_only_its_own_waivers_normalised():
    raw = {"OS-02": GOOD, "NGX-07": {**GOOD, "expires": datetime.date(2027, 1, 15), "reason": "  padded  "}}
    mine, errors, warnings = _layers.waivers_for(_layers.get("nginx"), raw, TODAY)
    assert (errors, warnings) == ([], [])
    assert mine == {"NGX-07": {"reason": "padded", "approver": "security team", "expires": "2027-01-15"}}


def test_an_unknown_control_id_is_refused_by_every_layer():
    for layer in _layers.LAYERS:
        _mine, errors, _warnings = _layers.waivers_for(layer, {"OS-99": GOOD, "XYZ-01": GOOD}, TODAY)
        assert errors == [
            "insightengine_hardening_waivers.OS-99: no such control in this collection",
            "insightengine_hardening_waivers.XYZ-01: no such control in this collection",
        ]


@pytest.mark.parametrize(
    ("waiver", "message"),
    [
        ({"approver": "a", "expires": "2027-01-01"}, "insightengine_hardening_waivers.OS-02: reason must be a non-empty string"),
        ({**GOOD, "approver": " "}, "insightengine_hardening_waivers.OS-02: approver must be a non-empty string"),
        ({**GOOD, "expires": "31.12.2027"}, "insightengine_hardening_waivers.OS-02: expires must be a date (YYYY-MM-DD)"),
        ("yes", "insightengine_hardening_waivers.OS-02: must be a mapping with reason, approver and expires"),
    ],
)
def test_a_malformed_waiver_is_refused_by_any_layer(waiver, message):
    _mine, errors, _warnings = _layers.waivers_for(_layers.get("nginx"), {"OS-02": waiver}, TODAY)
    assert errors == [message]


def test_an_expired_waiver_is_kept_with_a_warning():
    mine, errors, warnings = _layers.waivers_for(_layers.get("os"), {"OS-02": {**GOOD, "expires": "2026-11-30"}}, TODAY)
    assert errors == [] and mine["OS-02"]["expires"] == "2026-11-30"
    assert warnings == [
        "insightengine_hardening_waivers.OS-02: expired on 2026-11-30; OS-02 fails until the waiver is renewed or removed"
    ]


def test_not_a_mapping_is_refused():
    assert _layers.waivers_for(_layers.get("os"), ["OS-02"], TODAY)[1] == [
        'insightengine_hardening_waivers must be a mapping of control ID to reason, approver and expires, got ["OS-02"]'
    ]
    assert _layers.waivers_for(_layers.get("os"), None, TODAY) == ({}, [], [])


def test_the_registry_knows_every_control_once():
    ids = [c.id for layer in _layers.LAYERS for c in layer.catalog]
    checklist = [c.id for c in _preflight.CATALOG]
    assert len(ids) + len(checklist) == len(set(ids) | set(checklist)) == len(_layers.control_ids())
    assert checklist == ["PRE-01", "PRE-02", "PRE-03", "PRE-04", "PRE-05"]
    with pytest.raises(KeyError, match="the layers are os, docker, postgres, nginx, app, monitoring"):
        _layers.get("audit")

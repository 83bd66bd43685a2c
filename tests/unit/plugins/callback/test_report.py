from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.insightengine.hardening.plugins.callback.report import control_ids


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("OS-02..07, OS-17 | Write the sshd drop-in", {"OS-02", "OS-03", "OS-04", "OS-05", "OS-06", "OS-07", "OS-17"}),
        ("OS-11, OS-16 | Write the kernel parameters", {"OS-11", "OS-16"}),
        ("OS-04 | Log in afresh on port 2200", {"OS-04"}),
        ("Install what the enabled controls need", set()),
        ("Mentions OS-02 but not as its prefix", set()),
    ],
)
def test_control_ids_from_task_names(name, ids):
    assert control_ids(name) == ids


def _result(layer, catalog, **kwargs):
    from ansible_collections.insightengine.hardening.plugins.module_utils._findings import Findings

    findings = Findings(layer, catalog, **kwargs)
    for index, control in enumerate(catalog):
        if findings.wanted(control.id):
            findings.check(control.id, index % 3 != 1, {"want": 1}, {"want": index})
    return findings.result(strict=False)


def test_a_report_has_one_entry_per_host_layer_and_control_and_matches_the_schema():
    from conftest import checked_report

    from ansible_collections.insightengine.hardening.plugins.module_utils._layers import LAYERS

    results = [
        _result(
            layer.name,
            layer.catalog,
            disabled={layer.catalog[0].id: "off"},
            waivers={layer.catalog[min(1, len(layer.catalog) - 1)].id: {"reason": "r", "approver": "a", "expires": "2099-01-01"}},
        )
        for layer in LAYERS
    ]
    changed = {"OS-02": {"OS-02..07, OS-17 | Write the sshd drop-in"}, "NGX-05": {"NGX-01..10 | The site"}}
    document = checked_report(*results, changed=changed)
    host = document["hosts"][0]
    assert [layer["layer"] for layer in host["layers"]] == [layer.name for layer in LAYERS]
    for layer, entry in zip(LAYERS, host["layers"]):
        assert [c["id"] for c in entry["controls"]] == [c.id for c in layer.catalog]
        # a layer lists only the changes of its own controls
        assert {c["id"] for c in entry["controls"] if c["changed"]} <= {c.id for c in layer.catalog}
    os_controls = {c["id"]: c for c in host["layers"][0]["controls"]}
    assert os_controls["OS-02"]["changed_by"] == ["OS-02..07, OS-17 | Write the sshd drop-in"]
    assert os_controls["OS-02"]["status"] == "waived"
    assert os_controls["OS-01"]["status"] == "disabled"
    assert document["summary"] == host["summary"]
    assert sum(document["summary"].values()) == sum(len(layer.catalog) for layer in LAYERS)


def test_check_mode_and_a_normal_run_have_the_same_keys():
    from conftest import checked_report

    from ansible_collections.insightengine.hardening.plugins.module_utils._layers import get

    os_layer = get("os")

    def keys(value, path=""):
        if isinstance(value, dict):
            return {f"{path}.{k}" for k in value} | {p for k, v in value.items() for p in keys(v, f"{path}.{k}")}
        if isinstance(value, list):
            return {p for v in value for p in keys(v, f"{path}[]")}
        return set()

    normal = checked_report(_result("os", os_layer.catalog), changed={"OS-02": {"x"}})
    check = checked_report(_result("os", os_layer.catalog), check_mode=True, changed={"OS-02": {"x"}})
    assert check["check_mode"] is True and normal["check_mode"] is False
    structural = {k for k in keys(normal) if ".expected" not in k and ".actual" not in k and ".read" not in k}
    assert structural == {k for k in keys(check) if ".expected" not in k and ".actual" not in k and ".read" not in k}


def test_a_host_without_findings_still_reports_its_failed_tasks():
    import json

    import jsonschema

    from ansible_collections.insightengine.hardening.plugins.callback.report import build

    document = build({}, {}, {"web1": {"Some change"}}, {"web1": [{"task": "Validate", "msg": "os_ssh_port ..."}]}, False, False)
    schema = json.loads((Path(__file__).resolve().parents[4] / "docs" / "report.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["hosts"][0]["failed_tasks"][0]["task"] == "Validate"
    assert document["hosts"][0]["unattributed_changes"] == ["Some change"]


def test_a_diff_becomes_unified_text_per_task_and_control():
    from conftest import ROOT

    from ansible_collections.insightengine.hardening.plugins.callback.report import build, diff_text, result_diff

    template = {"before": "PermitRootLogin no\n", "after": "PermitRootLogin yes\n", "before_header": "/etc/ssh/x.conf"}
    text = diff_text(template)
    assert text.splitlines() == ["--- /etc/ssh/x.conf", "+++ after", "@@ -1 +1 @@", "-PermitRootLogin no", "+PermitRootLogin yes"]
    # The file module's state mappings, prepared text, lists, nothing changed.
    assert '-  "mode": "0700"' in diff_text({"before": {"mode": "0700"}, "after": {"mode": "0755"}})
    assert diff_text({"prepared": "+ufw allow 443"}) == "+ufw allow 443\n"
    assert diff_text([template, {"before": "a", "after": "a"}]) == text
    # Loop items that changed, none of a hidden result, and a bound on size.
    looped = {"results": [{"changed": True, "diff": template}, {"changed": False, "diff": {"before": "x", "after": "y"}}]}
    assert result_diff(looped) == text
    assert result_diff({"censored": "the output has been hidden", "diff": template}) == ""
    assert result_diff({"results": [{"changed": True, "_ansible_no_log": True, "diff": template}]}) == ""
    huge = result_diff({"diff": {"before": "", "after": "x\n" * 20_000}})
    assert len(huge) < 16_100 and huge.endswith("more characters)\n")

    import json

    import jsonschema

    findings = {"web1": {"os": {"findings": [_result("os", _os_catalog())["findings"][1]]}}}
    document = build(findings, {"web1": {"OS-02": {"t"}}}, {}, {}, True, True, {"web1": {"OS-02": [{"task": "t", "diff": text}]}})
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    (control,) = document["hosts"][0]["layers"][0]["controls"]
    assert control["changed_by"] == ["t"] and control["diffs"] == [{"task": "t", "diff": text}]
    assert document["schema_version"] == "1.1"


def _os_catalog():
    from ansible_collections.insightengine.hardening.plugins.module_utils._os import CATALOG

    return CATALOG

"""The collection agrees with itself: catalogs, switches, tags, argument
specs, defaults and the generated documentation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.insightengine.hardening.plugins.callback.report import control_ids
from ansible_collections.insightengine.hardening.plugins.module_utils import _nginx, _os, _postgres

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())
CATALOGS = {"os": _os.CATALOG, "postgres": _postgres.CATALOG, "nginx": _nginx.CATALOG}
PREFIXES = {"os": "OS", "postgres": "PG", "nginx": "NGX"}  # control ID prefix, lower-cased for tags


def load(path: Path):
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_match_defaults(role):
    spec = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = load(role / "defaults" / "main.yml")
    assert set(spec) == set(defaults), "every default is specified, every specified variable has a default"
    for name, value in defaults.items():
        assert spec[name].get("default") == value, name
        assert spec[name].get("description"), name
        assert name.startswith(f"{role.name}_"), name


@pytest.mark.parametrize("layer", sorted(CATALOGS))
def test_every_control_has_a_switch_a_tag_and_tasks_that_name_it(layer):
    role = ROOT / "roles" / layer
    switches = load(role / "vars" / "main.yml")[f"__{layer}_control_switch"]
    defaults = load(role / "defaults" / "main.yml")
    ids = [c.id for c in CATALOGS[layer]]
    assert list(switches) == ids
    for cid, switch in switches.items():
        assert defaults[switch] is True, f"{cid}: {switch} should default to on"
    prefix = PREFIXES[layer].lower()
    tags = set(re.findall(rf"\b{prefix}-\d\d\b", (role / "tasks" / "main.yml").read_text()))
    assert tags == {cid.lower() for cid in ids}
    named = set()
    for path in (role / "tasks").glob("*.yml"):
        for match in re.finditer(r"^\s*- name: (.+)$", path.read_text(), re.M):
            named |= control_ids(match.group(1))
    # Task names say which control they implement ("OS-11, OS-16 | ..."):
    # the report callback and --check output rely on it.
    assert named == set(ids), f"unknown: {named - set(ids)}, no task: {set(ids) - named}"


def test_generated_documentation_is_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_control_ids_are_unique_and_well_formed():
    for layer, catalog in CATALOGS.items():
        ids = [c.id for c in catalog]
        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(rf"{PREFIXES[layer]}-\d\d", cid) for cid in ids)
        assert all(c.guide and c.remediation for c in catalog)

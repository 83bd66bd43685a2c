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
from ansible_collections.insightengine.hardening.plugins.module_utils._layers import CHECKLISTS, LAYERS

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())
BY_NAME = {layer.name: layer for layer in LAYERS}
# Modules that never change the host (or only report): a task of any other
# module can change it and must say which controls it serves.
READ_ONLY = {
    "ansible.builtin.import_tasks", "ansible.builtin.include_tasks", "ansible.builtin.set_fact", "ansible.builtin.assert",
    "ansible.builtin.fail", "ansible.builtin.meta", "ansible.builtin.wait_for", "ansible.builtin.wait_for_connection",
    "ansible.builtin.stat", "ansible.builtin.slurp", "ansible.builtin.command_readonly",
    "insightengine.hardening.validate_inputs", "insightengine.hardening.app_scan",
    *(f"insightengine.hardening.{layer.info_module}" for layer in LAYERS),
    *(f"insightengine.hardening.{layer.verify_module}" for layer in LAYERS),
}  # fmt: skip


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


def test_the_registry_is_the_roles_with_a_layer():
    assert {layer.name for layer in LAYERS} <= {role.name for role in ROLES}
    for layer in LAYERS:
        for module in (layer.info_module, layer.verify_module):
            assert (ROOT / "plugins" / "modules" / f"{module}.py").exists(), module
        assert hasattr(layer.inputs, "SPEC") and hasattr(layer.inputs, "check") and hasattr(layer.inputs, "check_host")


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_every_control_has_a_switch_a_tag_and_tasks_that_name_it(layer):
    role = ROOT / "roles" / layer.name
    defaults = load(role / "defaults" / "main.yml")
    ids = [c.id for c in layer.catalog]
    for control in layer.catalog:
        assert defaults.get(control.switch) is True, f"{control.id}: {control.switch} should be a role default, on"
        assert control.source, f"{control.id}: say what the control is judged on"
    tags = set(re.findall(rf"\b{layer.prefix.lower()}-\d\d\b", (role / "tasks" / "main.yml").read_text()))
    assert tags == {c.tag for c in layer.catalog}
    named = set()
    for path in (role / "tasks").glob("*.yml"):
        for match in re.finditer(r"^\s*- name: (.+)$", path.read_text(), re.M):
            named |= control_ids(match.group(1))
    # Task names say which control they implement ("OS-11, OS-16 | ..."):
    # the report callback and --check output rely on it.
    assert named == set(ids), f"unknown: {named - set(ids)}, no task: {set(ids) - named}"


def _tasks(node):
    """Every task in a task file, blocks opened."""
    for task in node or []:
        if isinstance(task, dict) and "block" in task:
            yield from _tasks(task["block"])
            yield from _tasks(task.get("rescue"))
            yield from _tasks(task.get("always"))
        elif isinstance(task, dict):
            yield task


def _module(task: dict) -> str:
    keywords = {
        "name", "when", "tags", "register", "loop", "loop_control", "notify", "changed_when", "failed_when", "no_log",
        "become", "become_user", "check_mode", "diff", "vars", "environment", "delegate_to", "run_once", "listen",
        "ignore_errors", "until", "retries", "delay", "args", "async", "poll", "throttle", "timeout", "with_items",
    }  # fmt: skip
    names = [k for k in task if k not in keywords]
    assert len(names) == 1, task
    return names[0]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_a_task_that_can_change_the_host_names_the_controls_it_serves(layer):
    """The link from a task to its controls is declared once, in its name
    ("PG-02 | ..."); the report callback reads it. Handlers are tasks too."""
    known = {c.id for c in layer.catalog}
    role = ROOT / "roles" / layer.name
    unnamed = []
    for path in [*(role / "tasks").glob("*.yml"), *(role / "handlers").glob("main.yml")]:
        for task in _tasks(load(path)):
            module = _module(task)
            read_only = module in READ_ONLY or task.get("changed_when") is False or str(task.get("changed_when")) == "false"
            ids = control_ids(task.get("name", ""))
            assert ids <= known, f"{path.name}: {task.get('name')} names controls the catalog lacks: {ids - known}"
            if not read_only and module != "ansible.builtin.debug" and not ids:
                unnamed.append(f"{path.relative_to(ROOT)}: {task.get('name')} ({module})")
    assert not unnamed, "tasks that can change the host without naming a control:\n" + "\n".join(unnamed)


def test_site_playbook_applies_every_layer_to_its_group():
    plays = load(ROOT / "playbooks" / "site.yml")
    applied = {(play["hosts"], role["role"]) for play in plays for role in play.get("roles", [])}
    assert applied == {(layer.group, layer.role) for layer in LAYERS}


def test_the_audit_playbook_audits_every_layer_in_the_site_order_and_only_reads():
    """playbooks/audit.yml lists the layers once more (a loop of include_role):
    the same layers and groups as site.yml, in its order; each role's
    tasks/audit.yml runs only the input checks, the info and the verify
    module (and the verify's own read-only set_fact)."""
    (play,) = load(ROOT / "playbooks" / "audit.yml")
    site = [role["role"].rsplit(".", 1)[1] for p in load(ROOT / "playbooks" / "site.yml") for role in p.get("roles", [])]
    loop = re.findall(r"'(\w+)'", play["tasks"][0]["loop"].split("|")[0])
    assert loop == site
    assert set(play["hosts"].split()[0].split(":")) == {layer.group for layer in LAYERS}
    verdict = play["tasks"][-1]["vars"]["__audit_failing"]
    assert re.findall(r"'(\w+)'", verdict.split("-%}")[1]) == [*site, "preflight"]
    assert {f"{layer.name}_verify_strict" for layer in LAYERS} == set(play["vars"])
    allowed = {"insightengine.hardening.validate_inputs", "ansible.builtin.import_tasks", "ansible.builtin.set_fact"}
    for layer in LAYERS:
        modules = set()
        pending = [ROOT / "roles" / layer.name / "tasks" / "audit.yml"]
        while pending:
            for task in load(pending.pop()) or []:
                module = _module(task)
                modules.add(module)
                if module == "ansible.builtin.import_tasks":
                    pending.append(ROOT / "roles" / layer.name / "tasks" / task[module])
        reads = {f"insightengine.hardening.{layer.info_module}", f"insightengine.hardening.{layer.name}_verify"}
        assert modules - allowed <= reads, (layer.name, modules - allowed - reads)
        assert f"insightengine.hardening.{layer.name}_verify" in modules


def test_no_public_variable_shares_a_name_with_the_roles_beside_it():
    anchors = load(ROOT / "tests" / "unit" / "data" / "anchor_variables.yml")
    names = {name: source for source, listed in anchors["names"].items() for name in listed}
    prefixes = [(prefix, source) for source, listed in anchors["prefixes"].items() for prefix in listed]
    clashes = []
    for role in ROLES:
        for name in load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]:
            if name in names:
                clashes.append(f"{role.name}: {name} (also {names[name]})")
            clashes += [
                f"{role.name}: {name} (a {prefix}* variable of {source})"
                for prefix, source in prefixes
                if name.startswith(prefix)
            ]
    assert not clashes, "\n".join(clashes)


def test_generated_documentation_is_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_control_ids_are_unique_and_well_formed():
    prefixes = [layer.prefix for layer in LAYERS]
    assert len(prefixes) == len(set(prefixes))
    for layer in LAYERS:
        ids = [c.id for c in layer.catalog]
        assert len(ids) == len(set(ids))
        assert all(layer.owns(cid) for cid in ids)
        assert all(c.guide and c.remediation for c in layer.catalog)


def test_the_action_groups_hold_every_layers_modules():
    runtime = load(ROOT / "meta" / "runtime.yml")
    groups = runtime["action_groups"]
    modules = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")} - {"validate_inputs"}
    assert set(groups["hardening"]) == modules
    checklists = {f"{name}_verify" for name in CHECKLISTS}
    assert set(groups["verify"]) == {layer.verify_module for layer in LAYERS} | checklists
    extra = {module for layer in LAYERS for module in layer.modules}
    assert {layer.info_module for layer in LAYERS} | {layer.verify_module for layer in LAYERS} | extra | checklists == modules
    for old, route in runtime["plugin_routing"]["modules"].items():
        assert route["redirect"].split(".")[-1] in modules, old


def test_the_internal_roles_entry_points_specify_every_variable_they_read():
    role = ROOT / "roles" / "common"
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    for entry, spec in specs.items():
        used = set(re.findall(r"\b__common_\w+", (role / "tasks" / f"{entry}.yml").read_text()))
        assert used == set(spec["options"]), entry
        assert all(o.get("description") for o in spec["options"].values())


PLUGINS = sorted(p for p in (ROOT / "plugins").rglob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: str(p.relative_to(ROOT / "plugins")))
def test_every_name_a_plugin_takes_from_module_utils_exists(path):
    """``_x.name`` where ``_x`` is one of the collection's module_utils: the
    name exists there (a module's code runs on the host, where only a real
    run would find a missing one)."""
    import ast
    import importlib

    tree = ast.parse(path.read_text())
    package = "ansible_collections.insightengine.hardening.plugins.module_utils"
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == package:
            aliases.update({a.asname or a.name: a.name for a in node.names if a.name.startswith("_")})
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            module = importlib.import_module(f"{package}.{aliases[node.value.id]}")
            if not hasattr(module, node.attr):
                missing.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert not missing, missing

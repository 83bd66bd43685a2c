#!/usr/bin/env python
"""Write the generated parts of the documentation; --check only compares.

- Each role's README variable table, from its meta/argument_specs.yml.
- The control table of each layer in README.md and the layer's role README,
  from the layer registry (plugins/module_utils/_layers.py) and each layer's
  catalog (ID, title, guide line, switch, tag, evidence).

The tables sit between ``<!-- BEGIN name -->`` and ``<!-- END name -->``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".cache" / "collections"))

from ansible_collections.insightengine.hardening.plugins.module_utils._layers import LAYERS  # noqa: E402


def cell(text: object) -> str:
    text = " ".join(str(text).split())
    text = re.sub(r"[COVP]\(([^)#]*)(#[^)]*)?\)", r"`\1`", text)  # Ansible doc markup -> code
    return text.replace("|", "\\|")


def default(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)) and len(yaml.safe_dump(value, default_flow_style=True)) > 60:
        return "see defaults/main.yml"
    if isinstance(value, str) and "\n" in value:
        return "see defaults/main.yml"
    return f"`{yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix('...').strip()}`"


def variables_table(role: Path) -> str:
    """The options of the role's main entry point, or of its only one (an internal role has no main)."""
    entry_points = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    spec = (entry_points.get("main") or next(iter(entry_points.values())))["options"]
    rows = ["| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for name, option in spec.items():
        kind = option.get("type", "str")
        if kind == "list" and option.get("elements"):
            kind = f"list of {option['elements']}"
        description = option.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        if option.get("choices") and option.get("type") != "list":
            description += " Choices: " + ", ".join(f"`{c}`" for c in option["choices"]) + "."
        rows.append(f"| `{name}` | {kind} | {default(option.get('default'))} | {cell(description)} |")
    return "\n".join(rows)


def controls_table(catalog) -> str:
    rows = ["| ID | Control | Guide | Switch | Tag | Judged on |", "| --- | --- | --- | --- | --- | --- |"]
    for control in catalog:
        guide = control.guide.split(": ", 1)[-1]
        rows.append(
            f"| {control.id} | {control.title} | {cell(guide)} | `{control.switch}` | `{control.tag}` | {cell(control.source)} |"
        )
    return "\n".join(rows)


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- BEGIN {re.escape(name)} -->\n)(?:.*?\n)?(<!-- END {re.escape(name)} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"no <!-- BEGIN {name} --> block")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a generated part is out of date")
    args = parser.parse_args()
    targets: dict[Path, list[tuple[str, str]]] = {}
    for role in sorted((ROOT / "roles").iterdir()):
        if (role / "meta" / "argument_specs.yml").exists():
            targets.setdefault(role / "README.md", []).append(("VARIABLES", variables_table(role)))
    for layer in LAYERS:
        table = controls_table(layer.catalog)
        targets.setdefault(ROOT / "README.md", []).append((f"{layer.name.upper()} CONTROLS", table))
        targets.setdefault(ROOT / "roles" / layer.name / "README.md", []).append(("CONTROLS", table))
    stale = []
    for path, blocks in targets.items():
        text = path.read_text()
        new = text
        for name, body in blocks:
            new = replace_block(new, name, body)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new)
    if stale and args.check:
        print("out of date (run scripts/gen_docs.py):", ", ".join(map(str, stale)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The layer registry: the one place that lists the collection's layers.

Each layer is a role (``roles/<name>``), a catalog of controls
(``CATALOG`` in ``module_utils/_<name>.py``: ID, title, guide line,
remediation, evidence source, switch; the tag is the lower-cased ID), the
validators of its role's variables (``module_utils/_<name>_inputs.py``), an
info module (``<name>_info``) and a verify module (``<name>_verify``).
The validate_inputs action, the documentation generator, the unit tests,
``scripts/test`` and the check of ``playbooks/site.yml`` read this list;
nothing else lists the layers.

Adding a layer: one entry here, the catalog and validators modules, the two
modules, the role. See README.md, "Add a layer".

Runs on the controller only (the modules on the host never import it).
Private to the collection: no API promise.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import re
import typing as t

from ._findings import expiry, waiver_problems
from ._inputs import shown

PACKAGE = "ansible_collections.insightengine.hardening.plugins.module_utils"
# One inventory variable for every layer, set per host or group.
WAIVERS_VARIABLE = "insightengine_hardening_waivers"


@dataclasses.dataclass(frozen=True)
class Layer:
    name: str
    prefix: str  # control IDs are PREFIX-NN
    guide: str  # the guide's section, for the site playbook and the docs
    summary: str  # what the layer is, in a few words
    modules: tuple[str, ...] = ()  # modules besides info and verify (they change the host: deploy)

    @property
    def group(self) -> str:
        """The inventory group site.yml applies the layer to."""
        return f"insightengine_{self.name}"

    @property
    def role(self) -> str:
        return f"insightengine.hardening.{self.name}"

    @property
    def info_module(self) -> str:
        return f"{self.name}_info"

    @property
    def verify_module(self) -> str:
        return f"{self.name}_verify"

    @property
    def catalog(self) -> tuple[t.Any, ...]:
        return tuple(importlib.import_module(f"{PACKAGE}._{self.name}").CATALOG)

    @property
    def inputs(self) -> t.Any:
        return importlib.import_module(f"{PACKAGE}._{self.name}_inputs")

    def owns(self, cid: str) -> bool:
        return bool(re.fullmatch(rf"{self.prefix}-\d\d", cid))


LAYERS: tuple[Layer, ...] = (
    Layer("os", "OS", "1", "operating system: SSH, firewall, updates, kernel, logins"),
    Layer("docker", "DKR", "2", "Docker engine: daemon settings, socket, group, file modes, a firewall for published ports"),
    Layer("postgres", "PG", "3", "PostgreSQL: network, TLS, authentication, privileges, audit, backups"),
    Layer("nginx", "NGX", "4.2", "nginx reverse proxy: TLS, headers, WAF, rate limits"),
    Layer(
        "app",
        "APP",
        "2, 4.1",
        "the application: non-root, read-only, limited containers from scanned images; secrets as files",
        modules=("app_scan", "app_deploy"),
    ),
    Layer(
        "monitoring", "MON", "4.3", "monitoring: a bounded journal, logs shipped to the central log host over TLS, the log host"
    ),
)


def get(name: str) -> Layer:
    for layer in LAYERS:
        if layer.name == name:
            return layer
    raise KeyError(f"no layer {name!r}; the layers are {', '.join(layer.name for layer in LAYERS)}")


# Controls that belong to no layer's role: the pre-flight checklist (guide
# section 5, playbooks/preflight.yml and the preflight_verify module).
CHECKLISTS = ("preflight",)


def control_ids() -> set[str]:
    """Every control ID of every layer and of the pre-flight checklist (one
    waivers variable serves them all)."""
    checklists = {control.id for name in CHECKLISTS for control in importlib.import_module(f"{PACKAGE}._{name}").CATALOG}
    return {control.id for layer in LAYERS for control in layer.catalog} | checklists


def waivers_for(layer: Layer, raw: t.Any, today: datetime.date) -> tuple[dict[str, dict[str, str]], list[str], list[str]]:
    """The layer's share of the inventory's waivers, each checked: a control
    ID of this collection (of any layer: one variable serves them all), a
    reason, an approver, an expiry date. Returns (waivers, errors, warnings);
    every error names the variable and the control."""
    name = WAIVERS_VARIABLE
    if raw is None:
        return {}, [], []
    if not isinstance(raw, dict):
        return {}, [f"{name} must be a mapping of control ID to reason, approver and expires, got {shown(raw)}"], []
    known = control_ids()
    mine: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    warnings: list[str] = []
    for cid, waiver in raw.items():
        if cid not in known:
            label = cid if isinstance(cid, str) and cid.isprintable() and " " not in cid else shown(cid)
            errors.append(f"{name}.{label}: no such control in this collection")
            continue
        problems = waiver_problems(waiver)
        if problems:
            errors.extend(f"{name}.{cid}: {problem}" for problem in problems)
            continue
        if not layer.owns(cid):
            continue
        until = expiry(waiver)
        if until < today:
            warnings.append(f"{name}.{cid}: expired on {until}; {cid} fails until the waiver is renewed or removed")
        mine[cid] = {"reason": waiver["reason"].strip(), "approver": waiver["approver"].strip(), "expires": until.isoformat()}
    return mine, errors, warnings

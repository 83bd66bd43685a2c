# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validate a role's variables on the controller, before it changes anything.

Reads the role's variables the way ansible.builtin.validate_argument_spec
does (from the task's variables, templated), runs the layer's validators
(``module_utils/_<layer>_inputs.py``) and returns the normalised values,
which the role renders its files from. With ``host``, the layer's checks on
what its info module read run too (lockout protection, existing clusters).
"""

from __future__ import annotations

import datetime
import re
import socket

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.insightengine.hardening.plugins.module_utils import _layers
from ansible_collections.insightengine.hardening.plugins.module_utils._inputs import Inputs

LAYER = re.compile(r"[a-z][a-z0-9_]*")
SSH_CONNECTIONS = re.compile(r"(ansible\.builtin\.)?(ssh|paramiko|paramiko_ssh)|.*libssh.*")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("layer", "host"))

    def _source_address(self, task_vars: dict) -> str | None:
        """The address this controller reaches the host from (what sshd sees
        as the client, unless a jump host or NAT is in between)."""
        host = self._templar.template(task_vars.get("ansible_host") or task_vars.get("inventory_hostname"))
        port = int(self._templar.template(task_vars.get("ansible_port") or 22))
        try:
            family, _type, _proto, _name, address = socket.getaddrinfo(str(host), port, proto=socket.IPPROTO_UDP)[0]
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect(address)  # UDP: no packet is sent
                return probe.getsockname()[0]
        except (OSError, ValueError, IndexError):
            return None

    def _waivers(self, layer: _layers.Layer, task_vars: dict, inputs: Inputs) -> dict:
        name = _layers.WAIVERS_VARIABLE
        raw = self._templar.template(task_vars.get(name)) if name in task_vars else None
        mine, errors, warnings = _layers.waivers_for(layer, raw, datetime.date.today())
        inputs.errors.extend(errors)
        inputs.warnings.extend(warnings)
        return mine

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        layer = self._task.args.get("layer")
        if not isinstance(layer, str) or not LAYER.fullmatch(layer):
            raise AnsibleActionFail(f"layer must be a layer name such as os, got {layer!r}")
        try:
            entry = _layers.get(layer)
            spec = entry.inputs
        except (KeyError, ImportError) as exc:
            raise AnsibleActionFail(f"no validators for layer {layer}: {exc}") from exc

        raw = self._templar.template({name: task_vars[name] for name in spec.SPEC if name in task_vars})
        secrets = set(getattr(spec, "SECRETS", ()))
        inputs = Inputs(spec.SPEC, raw, secrets)
        # Which host the values are for (a layer may judge a name against it).
        inputs.inventory_hostname = str(task_vars.get("inventory_hostname") or "")
        spec.check(inputs)
        waivers = self._waivers(entry, task_vars, inputs)
        waiver_hook = getattr(spec, "check_waivers", None)
        if waiver_hook and not inputs.errors:
            waiver_hook(inputs, waivers)
        host = self._task.args.get("host")
        if host is not None and not inputs.errors:
            if not isinstance(host, dict):
                raise AnsibleActionFail("host must be the result of the layer's info module")
            over_ssh = bool(SSH_CONNECTIONS.fullmatch(str(task_vars.get("ansible_connection") or "ssh")))
            context = {
                "check_mode": bool(self._play_context.check_mode),
                "over_ssh": over_ssh,
                "inventory_hostname": task_vars.get("inventory_hostname"),
                "controller_address": self._source_address(task_vars) if over_ssh else None,
            }
            spec.check_host(inputs, host, context)

        result["changed"] = False
        if inputs.warnings:
            result["warnings"] = list(inputs.warnings)
        if inputs.errors:
            result["failed"] = True
            result["errors"] = inputs.errors
            result["msg"] = f"insightengine.hardening.{layer}: " + "; ".join(inputs.errors)
            return result
        # Secrets stay in their variables: a verbose run prints this result.
        result.update({name: value for name, value in inputs.values.items() if name not in secrets})
        # What the verify module needs besides the values: the controls the
        # operator switched off, those that cannot apply, the waivers.
        result["disabled"] = {
            c.id: f"disabled ({c.switch}: false)" for c in entry.catalog if c.switch and not inputs.values.get(c.switch)
        }
        hook = getattr(spec, "not_applicable", None)
        result["not_applicable"] = {
            cid: reason
            for cid, reason in (hook({**inputs.values, "inventory_hostname": inputs.inventory_hostname}) if hook else {}).items()
            if cid not in result["disabled"]
        }
        result["waivers"] = waivers
        result["msg"] = f"{len(inputs.values)} {layer} inputs valid" + (
            "; the host allows the change" if host is not None else ""
        )
        return result

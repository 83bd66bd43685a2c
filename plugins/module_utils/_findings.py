# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The findings format every verify module of this collection returns.

A layer (os, postgres, nginx, ...) declares its controls once, as a catalog of
:class:`Control`.  Its verify module reads the effective state, records one
finding per control in a :class:`Findings` collector, and returns
:meth:`Findings.result`.  The shape is the same for every layer, so reports,
callbacks and tests read all of them alike.

This file is private to the collection (leading underscore): no API promise.
"""

from __future__ import annotations

import dataclasses
import typing as t

PASS = "pass"  # noqa: S105 - a status, not a password
FAIL = "fail"
WARN = "warn"  # not met, but advisory by configuration: never fails the play
SKIPPED = "skipped"
STATUSES = (PASS, FAIL, WARN, SKIPPED)


@dataclasses.dataclass(frozen=True)
class Control:
    """One checkbox of the hardening guide, as this collection implements it."""

    id: str
    title: str
    guide: str
    remediation: str


@dataclasses.dataclass
class Finding:
    control: Control
    status: str
    expected: t.Any = None
    actual: t.Any = None
    reason: str | None = None
    remediation: str | None = None

    def as_dict(self) -> dict[str, t.Any]:
        return {
            "id": self.control.id,
            "title": self.control.title,
            "guide": self.control.guide,
            "status": self.status,
            "expected": self.expected,
            "actual": self.actual,
            "reason": self.reason,
            "remediation": self.remediation if self.status in (FAIL, WARN) else None,
        }


def findings_argument_spec() -> dict[str, t.Any]:
    """Options every verify module shares (doc fragment: insightengine.hardening.findings)."""
    return {
        "skip": {"type": "dict", "default": {}},
        "strict": {"type": "bool", "default": True},
    }


def _short(value: t.Any, limit: int = 160) -> str:
    if isinstance(value, str):
        value = " ".join(value.split())
    if isinstance(value, dict):
        text = ", ".join(f"{k}={_short(v, limit)}" for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        text = ",".join(str(v) for v in value) or "(none)"
    elif value is None:
        text = "(none)"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _difference(expected: t.Any, actual: t.Any) -> str:
    """What differs, key by key when both sides are mappings."""
    if isinstance(expected, dict) and isinstance(actual, dict) and actual and set(actual) <= set(expected):
        return "; ".join(f"{k}={_short(actual[k], 80)} (want {_short(expected[k], 80)})" for k in actual)
    return f"expected {_short(expected)}; actual {_short(actual)}"


class Findings:
    """Collects one finding per control, in catalog order."""

    def __init__(self, layer: str, catalog: t.Iterable[Control], skip: dict[str, str] | None = None):
        self.layer = layer
        self.catalog = {c.id: c for c in catalog}
        unknown = sorted(set(skip or {}) - set(self.catalog))
        if unknown:
            raise ValueError(f"unknown control IDs in skip: {', '.join(unknown)}")
        self._findings: dict[str, Finding] = {}
        for cid, reason in (skip or {}).items():
            self.skip(cid, reason or "disabled")

    def wanted(self, cid: str) -> bool:
        """True while nothing has been recorded for the control (e.g. not skipped)."""
        return cid in self.catalog and cid not in self._findings

    def _record(self, cid: str, finding: Finding) -> None:
        if cid not in self.catalog:
            raise KeyError(f"control {cid} is not in the {self.layer} catalog")
        if cid in self._findings:
            return  # the first word on a control wins: a skip stays a skip
        self._findings[cid] = finding

    def skip(self, cid: str, reason: str, expected: t.Any = None, actual: t.Any = None) -> None:
        self._record(cid, Finding(self.catalog[cid], SKIPPED, expected, actual, reason))

    def check(
        self,
        cid: str,
        ok: bool,
        expected: t.Any,
        actual: t.Any,
        remediation: str | None = None,
    ) -> bool:
        control = self.catalog[cid]
        self._record(
            cid,
            Finding(control, PASS if ok else FAIL, expected, actual, None, remediation or control.remediation),
        )
        return ok

    def compare(self, cid: str, expected: dict[str, t.Any], actual: dict[str, t.Any], remediation: str | None = None) -> bool:
        """Pass when every expected key has exactly the expected value.

        Only the keys that differ are reported as ``actual`` mismatches, so a
        finding says what drifted rather than repeating what is fine.
        """
        wrong = {k: actual.get(k) for k, v in expected.items() if actual.get(k) != v}
        return self.check(cid, not wrong, expected, wrong or actual, remediation)

    def get(self, cid: str) -> Finding | None:
        return self._findings.get(cid)

    def override(self, cid: str, ok: bool, expected: t.Any, actual: t.Any, remediation: str | None = None) -> bool:
        """Replace a recorded check with a later, better-informed one (a
        client's view after the configuration's); a skip stays a skip."""
        current = self._findings.get(cid)
        if current is not None and current.status == SKIPPED:
            return False
        self._findings.pop(cid, None)
        return self.check(cid, ok, expected, actual, remediation)

    def warn(self, cid: str, reason: str, expected: t.Any = None, actual: t.Any = None) -> None:
        """Not met, and the configuration says that is a warning, not a failure."""
        control = self.catalog[cid]
        self._record(cid, Finding(control, WARN, expected, actual, reason, control.remediation))

    def error(self, cid: str, message: str) -> None:
        """The state could not be read: that is a failure, never a pass."""
        control = self.catalog[cid]
        self._record(cid, Finding(control, FAIL, None, None, message, control.remediation))

    def findings(self) -> list[Finding]:
        missing = [cid for cid in self.catalog if cid not in self._findings]
        for cid in missing:
            self.error(cid, "not evaluated (internal error: no check recorded)")
        return [self._findings[cid] for cid in self.catalog]

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for finding in self.findings():
            counts[finding.status] += 1
        return counts

    def report(self) -> list[str]:
        """One readable line per control."""
        lines = []
        for f in self.findings():
            line = f"{f.control.id:<7} {f.status.upper():<8} {f.control.title}"
            if f.status == FAIL:
                line += f": {f.reason or _difference(f.expected, f.actual)}"
            elif f.status in (SKIPPED, WARN):
                line += f": {f.reason}"
            lines.append(line)
        return lines

    def result(self, strict: bool) -> dict[str, t.Any]:
        """The module result: ``failed`` only when strict and a control fails."""
        findings = self.findings()
        failing = [f for f in findings if f.status == FAIL]
        summary = self.summary()
        total = len(findings)
        if failing:
            msg = f"{self.layer}: {len(failing)} of {total} controls fail: " + "; ".join(
                f"{f.control.id} {f.control.title}" for f in failing
            )
        else:
            msg = f"{self.layer}: {summary[PASS]} of {total} controls pass, {summary[SKIPPED]} skipped"
            if summary[WARN]:
                msg += f", {summary[WARN]} warn"
        failed = bool(strict and failing)
        return {
            "changed": False,
            "failed": failed,
            "msg": msg,
            "layer": self.layer,
            # A failed task prints its whole result: keep it to what failed.
            "findings": [f.as_dict() for f in (failing if failed else findings)],
            "summary": summary,
            "failed_controls": [f.control.id for f in failing],
            "report": self.report(),
        }


def run_verify(module: t.Any, layer: str, catalog: t.Iterable[Control], verify: t.Callable[[Findings], None]) -> None:
    """The whole life of a verify module after its argument parsing: collect
    one finding per control with ``verify``, then fail (strict) or exit, each
    failing or warning control printed as a warning."""
    try:
        findings = Findings(layer, catalog, module.params["skip"])
    except ValueError as exc:
        module.fail_json(msg=f"skip: {exc}")
    verify(findings)
    result = findings.result(strict=module.params["strict"])
    if result.pop("failed"):
        module.fail_json(**result)
    for line in result["report"]:
        if line.split()[1:2] in (["FAIL"], ["WARN"]):
            module.warn(line)
    module.exit_json(**result)

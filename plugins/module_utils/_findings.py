# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The findings format every verify module of this collection returns.

A layer (os, postgres, nginx, ...) declares its controls once, as a catalog of
:class:`Control`.  Its verify module reads the effective state, records one
finding per control in a :class:`Findings` collector, and returns
:meth:`Findings.result`.  The shape is the same for every layer, so reports,
callbacks and tests read all of them alike (``docs/report.schema.json``
describes it).

Statuses:

``pass`` / ``fail``
    judged on the effective state;
``warn``
    not met, and the configuration makes that advisory;
``waived``
    not met (or not judgeable), and a waiver with a reason, an approver and
    an expiry date that has not passed covers it; what was found stays;
``disabled``
    switched off by the operator (the reason names the switch);
``not_applicable``
    cannot apply on this host (a container owns no kernel), with the reason;
``error``
    the check could not run; the reason says what failed. Counts as failing.

This file is private to the collection (leading underscore): no API promise.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import typing as t

PASS = "pass"  # noqa: S105 - a status, not a password
FAIL = "fail"
WARN = "warn"
WAIVED = "waived"
DISABLED = "disabled"
NOT_APPLICABLE = "not_applicable"
ERROR = "error"
STATUSES = (PASS, FAIL, WARN, WAIVED, DISABLED, NOT_APPLICABLE, ERROR)
FAILING = (FAIL, ERROR)
# Statuses that record no judgement of the host: nothing was read.
UNJUDGED = (DISABLED, NOT_APPLICABLE)

CONTROL_ID = re.compile(r"[A-Z]{2,4}-\d{2}")


@dataclasses.dataclass(frozen=True)
class Control:
    """One checkbox of the hardening guide, as this collection implements it.

    ``source`` names what the verify module reads to judge it (a command, a
    request, a file); ``switch`` is the role variable that turns it off.
    """

    id: str
    title: str
    guide: str
    remediation: str
    source: str = ""
    switch: str | None = None

    @property
    def tag(self) -> str:
        """The tag that runs only this control's tasks."""
        return self.id.lower()


@dataclasses.dataclass
class Finding:
    control: Control
    status: str
    expected: t.Any = None
    actual: t.Any = None
    reason: str | None = None
    source: str | None = None
    waiver: dict[str, t.Any] | None = None
    found: str | None = None  # the status a waiver replaced

    def as_dict(self) -> dict[str, t.Any]:
        judged = self.status not in UNJUDGED
        return {
            "id": self.control.id,
            "title": self.control.title,
            "guide": self.control.guide,
            "status": self.status,
            "expected": self.expected,
            "actual": self.actual,
            "reason": self.reason,
            "evidence": {"source": self.source or self.control.source, "read": self.actual} if judged else None,
            "remediation": self.control.remediation if self.status in (FAIL, WARN, WAIVED, ERROR) else None,
            "waiver": dict(self.waiver, found=self.found) if self.waiver else None,
        }


def findings_argument_spec() -> dict[str, t.Any]:
    """Options every verify module shares (doc fragment: insightengine.hardening.findings)."""
    return {
        "disabled": {"type": "dict", "default": {}, "aliases": ["skip"]},
        "not_applicable": {"type": "dict", "default": {}},
        "waivers": {"type": "dict", "default": {}},
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


def waiver_problems(waiver: t.Any) -> list[str]:
    """What is wrong with one waiver (reason, approver, expires YYYY-MM-DD)."""
    if not isinstance(waiver, dict):
        return ["must be a mapping with reason, approver and expires"]
    problems = [f"unknown key {k!r}" for k in sorted(set(waiver) - {"reason", "approver", "expires"})]
    for key in ("reason", "approver"):
        value = waiver.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{key} must be a non-empty string")
        elif any(ord(c) < 32 or ord(c) == 127 for c in value):
            problems.append(f"{key} must not contain control characters")
    if expiry(waiver) is None:
        problems.append("expires must be a date (YYYY-MM-DD)")
    return problems


def expiry(waiver: dict[str, t.Any]) -> datetime.date | None:
    value = waiver.get("expires")
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


class Findings:
    """Collects one finding per control, in catalog order."""

    def __init__(
        self,
        layer: str,
        catalog: t.Iterable[Control],
        disabled: dict[str, str] | None = None,
        not_applicable: dict[str, str] | None = None,
        waivers: dict[str, dict[str, t.Any]] | None = None,
        today: datetime.date | None = None,
    ):
        self.layer = layer
        self.catalog = {c.id: c for c in catalog}
        self.today = today or datetime.date.today()
        problems = []
        for name, given in (("disabled", disabled), ("not_applicable", not_applicable), ("waivers", waivers)):
            unknown = sorted(set(given or {}) - set(self.catalog))
            if unknown:
                problems.append(f"{name}: unknown {layer} control IDs: {', '.join(unknown)}")
        for cid, waiver in sorted((waivers or {}).items()):
            problems.extend(f"waivers.{cid}: {p}" for p in waiver_problems(waiver))
        if problems:
            raise ValueError("; ".join(problems))
        self.waivers = dict(waivers or {})
        self._findings: dict[str, Finding] = {}
        for cid, reason in (disabled or {}).items():
            self.disable(cid, reason or "disabled")
        for cid, reason in (not_applicable or {}).items():
            self.not_applicable(cid, reason or "not applicable")

    def wanted(self, cid: str) -> bool:
        """True while nothing has been recorded for the control (not disabled, say)."""
        return cid in self.catalog and cid not in self._findings

    def _record(self, finding: Finding) -> None:
        cid = finding.control.id
        if cid in self._findings:
            return  # the first word on a control wins: disabled stays disabled
        self._findings[cid] = finding

    def _control(self, cid: str) -> Control:
        if cid not in self.catalog:
            raise KeyError(f"control {cid} is not in the {self.layer} catalog")
        return self.catalog[cid]

    def disable(self, cid: str, reason: str) -> None:
        """Switched off by the operator."""
        self._record(Finding(self._control(cid), DISABLED, reason=reason))

    def not_applicable(self, cid: str, reason: str, expected: t.Any = None, actual: t.Any = None) -> None:
        """Cannot apply on this host; the reason says why."""
        self._record(Finding(self._control(cid), NOT_APPLICABLE, expected, actual, reason))

    def check(
        self, cid: str, ok: bool, expected: t.Any, actual: t.Any, reason: str | None = None, source: str | None = None
    ) -> bool:
        self._record(Finding(self._control(cid), PASS if ok else FAIL, expected, actual, reason, source))
        return ok

    def compare(self, cid: str, expected: dict[str, t.Any], actual: dict[str, t.Any], source: str | None = None) -> bool:
        """Pass when every expected key has exactly the expected value.

        Only the keys that differ are reported as ``actual`` mismatches, so a
        finding says what drifted rather than repeating what is fine.
        """
        wrong = {k: actual.get(k) for k, v in expected.items() if actual.get(k) != v}
        return self.check(cid, not wrong, expected, wrong or actual, source=source)

    def get(self, cid: str) -> Finding | None:
        return self._findings.get(cid)

    def override(self, cid: str, ok: bool, expected: t.Any, actual: t.Any, source: str | None = None) -> bool:
        """Replace a recorded check with a later, better-informed one (a
        client's view after the configuration's); disabled stays disabled."""
        current = self._findings.get(cid)
        if current is not None and current.status in UNJUDGED:
            return False
        self._findings.pop(cid, None)
        return self.check(cid, ok, expected, actual, source=source)

    def warn(self, cid: str, reason: str, expected: t.Any = None, actual: t.Any = None) -> None:
        """Not met, and the configuration says that is a warning, not a failure."""
        self._record(Finding(self._control(cid), WARN, expected, actual, reason))

    def error(self, cid: str, message: str, source: str | None = None) -> None:
        """The check could not run: never a pass, and it fails a strict run."""
        self._record(Finding(self._control(cid), ERROR, None, None, message, source))

    def _waive(self, finding: Finding) -> Finding:
        waiver = self.waivers.get(finding.control.id)
        if not waiver:
            return finding
        until = expiry(waiver)
        record = {"reason": waiver["reason"], "approver": waiver["approver"], "expires": until.isoformat()}
        finding.waiver = record
        finding.found = finding.status
        if until < self.today:
            finding.status = FAIL
            finding.reason = f"waiver expired on {until} (approved by {waiver['approver']}: {waiver['reason']})" + (
                f"; found: {finding.reason}" if finding.reason else ""
            )
        elif finding.status in (FAIL, WARN, ERROR):
            what = finding.reason or _difference(finding.expected, finding.actual)
            finding.status = WAIVED
            finding.reason = f"waived until {until} by {waiver['approver']}: {waiver['reason']}; found: {what}"
        return finding

    def findings(self) -> list[Finding]:
        for cid in self.catalog:
            if cid not in self._findings:
                self.error(cid, "not evaluated (internal error: no check recorded)")
        done = [self._findings[cid] for cid in self.catalog]
        return [self._waive(f) if f.found is None else f for f in done]

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for finding in self.findings():
            counts[finding.status] += 1
        return counts

    def report(self) -> list[str]:
        """One readable line per control."""
        lines = []
        for f in self.findings():
            line = f"{f.control.id:<7} {f.status.upper():<14} {f.control.title}"
            if f.status == FAIL:
                line += f": {f.reason or _difference(f.expected, f.actual)}"
            elif f.status != PASS and f.reason:
                line += f": {f.reason}"
            lines.append(line)
        return lines

    def result(self, strict: bool) -> dict[str, t.Any]:
        """The module result: every finding, always; ``failed`` only when
        strict and a control fails or could not be checked."""
        findings = self.findings()
        failing = [f for f in findings if f.status in FAILING]
        summary = self.summary()
        total = len(findings)
        if failing:
            msg = f"{self.layer}: {len(failing)} of {total} controls fail: " + "; ".join(
                f"{f.control.id} {f.control.title}" for f in failing
            )
        else:
            msg = f"{self.layer}: {summary[PASS]} of {total} controls pass" + "".join(
                f", {summary[s]} {s.replace('_', ' ')}" for s in STATUSES[2:] if summary[s]
            )
        return {
            "changed": False,
            "failed": bool(strict and failing),
            "msg": msg,
            "layer": self.layer,
            "findings": [f.as_dict() for f in findings],
            "summary": summary,
            "failed_controls": [f.control.id for f in failing],
            "report": self.report(),
        }


def run_verify(module: t.Any, layer: str, catalog: t.Iterable[Control], verify: t.Callable[[Findings], None]) -> None:
    """The whole life of a verify module after its argument parsing: collect
    one finding per control with ``verify``, then return all of them, failing
    (strict) after the last; each failing, warning or waived control is
    printed as a warning."""
    p = module.params
    try:
        findings = Findings(layer, catalog, p["disabled"], p["not_applicable"], p["waivers"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    verify(findings)
    result = findings.result(strict=p["strict"])
    for line, finding in zip(result["report"], result["findings"]):
        if finding["status"] in (FAIL, ERROR, WARN, WAIVED):
            module.warn(line)
    if result.pop("failed"):
        module.fail_json(**result)
    module.exit_json(**result)

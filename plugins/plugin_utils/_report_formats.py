# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The report document (docs/report.schema.json) in the formats other tools
read: JUnit XML for CI systems, SARIF 2.1.0 for code scanning views, and a
self-contained HTML page for people.

Pure functions of the document, on the controller (the report callback
writes them). Every value of a finding may hold what a host returned
(a banner, a path, an error message), so each format escapes for its own
grammar: XML drops the characters XML 1.0 cannot carry, HTML escapes text
and attributes and runs under a Content-Security-Policy that allows only
its own style and script (by hash), so markup that got into a finding can
neither load nor run anything.

Private to the collection: no API promise.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import typing as t
import xml.etree.ElementTree as ET

from ansible_collections.insightengine.hardening.plugins.module_utils._findings import FAILING, STATUSES, _difference
from ansible_collections.insightengine.hardening.plugins.module_utils._layers import LAYERS as _REGISTRY

# The overview's columns: the layers in the registry's order, then the pre-flight checklist.
LAYERS = (*(layer.name for layer in _REGISTRY), "preflight")
TOOL = "insightengine.hardening"
INFORMATION_URI = "https://github.com/insightengine/hardening"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# What XML 1.0 can carry (its Char production); the rest is dropped.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: t.Any) -> str:
    """A finding's value as text: strings as they are, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _xml(value: t.Any) -> str:
    return _XML_INVALID.sub("", _text(value))


def controls(document: dict[str, t.Any]) -> t.Iterator[tuple[str, str, dict[str, t.Any]]]:
    """(host, layer, control) for every control of every host, in report order."""
    for host in document.get("hosts", []):
        for layer in host.get("layers", []):
            for control in layer.get("controls", []):
                yield host["host"], layer["layer"], control


def summary_line(control: dict[str, t.Any]) -> str:
    """One line for a control: its reason, or what differs."""
    if control.get("reason"):
        return str(control["reason"])
    if control.get("status") in (*FAILING, "warn"):
        return _difference(control.get("expected"), control.get("actual"))
    return str(control.get("title", ""))


_FIELDS = ("status", "reason", "expected", "actual", "evidence", "remediation", "waiver", "guide")


def fields(control: dict[str, t.Any], status: bool = True) -> list[tuple[str, str]]:
    """(label, text) of everything a finding holds that is not empty: its
    fields, the tasks that changed it, and each task's diff."""
    out = [(key, _text(control.get(key))) for key in _FIELDS if control.get(key) not in (None, "", {}, [])]
    if not status:
        out = [(label, text) for label, text in out if label != "status"]
    if control.get("changed_by"):
        out.append(("changed by", "\n".join(control["changed_by"])))
    out += [(f"diff of {d.get('task', '')}", str(d.get("diff", ""))) for d in control.get("diffs") or []]
    return out


def details(control: dict[str, t.Any]) -> str:
    """Everything a finding holds, as labelled text blocks."""
    return "\n".join(f"{label}: {text}" if "\n" not in text else f"{label}:\n{text}" for label, text in fields(control))


# JUnit XML --------------------------------------------------------------------


def junit(document: dict[str, t.Any]) -> str:
    """One <testsuite> per host, one <testcase> per layer and control
    (classname HOST.LAYER); fail is a <failure>, error an <error>,
    disabled, not applicable and waived a <skipped> with the reason; a warn
    passes with the warning in <system-out>. A task that failed is an
    <error> test case of its own (classname HOST.tasks)."""
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    root = ET.Element("testsuites", name=TOOL)
    stamp = str(document.get("generated_at", ""))
    for host in document.get("hosts", []):
        name = _xml(host["host"])
        suite = ET.SubElement(root, "testsuite", name=name, hostname=name, timestamp=stamp.rstrip("Z"), time="0")
        props = ET.SubElement(suite, "properties")
        version = (document.get("collection") or {}).get("version")
        for key, value in (("collection_version", version), ("check_mode", document.get("check_mode"))):
            ET.SubElement(props, "property", name=key, value=_xml(value if isinstance(value, str) else json.dumps(value)))
        counts = dict.fromkeys(totals, 0)
        for layer in host.get("layers", []):
            for control in layer.get("controls", []):
                status = control.get("status", "")
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{name}.{_xml(layer['layer'])}",
                    name=_xml(f"{control.get('id', '')} {control.get('title', '')}"),
                    time="0",
                )
                counts["tests"] += 1
                line = _xml(summary_line(control))
                if status == "fail":
                    ET.SubElement(case, "failure", message=line, type="fail").text = _xml(details(control))
                    counts["failures"] += 1
                elif status == "error":
                    ET.SubElement(case, "error", message=line, type="error").text = _xml(details(control))
                    counts["errors"] += 1
                elif status in ("disabled", "not_applicable", "waived"):
                    ET.SubElement(case, "skipped", message=_xml(f"{status}: {line}"))
                    counts["skipped"] += 1
                else:
                    text = details(control)
                    ET.SubElement(case, "system-out").text = _xml(("WARN: " if status == "warn" else "") + text)
        for task in host.get("failed_tasks", []):
            case = ET.SubElement(suite, "testcase", classname=f"{name}.tasks", name=_xml(task.get("task", "")), time="0")
            ET.SubElement(case, "error", message=_xml(task.get("msg", "")), type="task failed").text = _xml(task.get("msg", ""))
            counts["tests"] += 1
            counts["errors"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# SARIF 2.1.0 ------------------------------------------------------------------

# status -> (kind, level). SARIF: a result whose kind is not "fail" has level "none".
_SARIF_KIND = {
    "fail": ("fail", "error"),
    "error": ("fail", "error"),
    "warn": ("fail", "warning"),
    "waived": ("fail", "error"),
    "pass": ("pass", "none"),
    "not_applicable": ("notApplicable", "none"),
    "disabled": ("informational", "none"),
}


def sarif(document: dict[str, t.Any]) -> dict[str, t.Any]:
    """One run; one rule per control ID, one result per host and control.
    A waived control is a failing result with an accepted external
    suppression that carries the waiver (reason, approver, expiry); a
    passing, disabled or not applicable control is a result of kind pass,
    informational or notApplicable (level none). The location is the host
    and layer (a logical location, and an artifact under the INVENTORY base
    for views that need a file); partialFingerprints keep a result's
    identity across runs."""
    rules: list[dict[str, t.Any]] = []
    index: dict[str, int] = {}
    results = []
    for host, layer, control in controls(document):
        cid = str(control.get("id", ""))
        if cid not in index:
            index[cid] = len(rules)
            rule = {
                "id": cid,
                "name": re.sub(r"[^A-Za-z0-9]+", "", str(control.get("title", "")).title()) or cid,
                "shortDescription": {"text": str(control.get("title") or cid)},
                "fullDescription": {"text": str(control.get("guide") or control.get("title") or cid)},
                "properties": {"layer": layer, "tags": ["security", "hardening", layer]},
            }
            if control.get("remediation"):
                rule["help"] = {"text": str(control["remediation"])}
            rules.append(rule)
        status = control.get("status", "")
        kind, level = _SARIF_KIND.get(status, ("review", "none"))
        result: dict[str, t.Any] = {
            "ruleId": cid,
            "ruleIndex": index[cid],
            "kind": kind,
            "level": level,
            "message": {"text": f"{host} {layer} {cid} {status}: {summary_line(control)}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f"hosts/{_uri(host)}/{_uri(layer)}", "uriBaseId": "INVENTORY"}
                    },
                    "logicalLocations": [{"name": host, "fullyQualifiedName": f"{host}/{layer}", "kind": "module"}],
                }
            ],
            "partialFingerprints": {"insightengineHostControl/v1": hashlib.sha256(f"{host}\0{cid}".encode()).hexdigest()},
            "properties": {
                "host": host,
                "layer": layer,
                "status": status,
                "changed": bool(control.get("changed")),
                "changedBy": list(control.get("changed_by") or []),
                "expected": control.get("expected"),
                "actual": control.get("actual"),
                "evidence": control.get("evidence"),
                "diffs": list(control.get("diffs") or []),
            },
        }
        waiver = control.get("waiver") or {}
        if status == "waived":
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{waiver.get('reason', '')} (approved by {waiver.get('approver', '?')}, "
                    f"expires {waiver.get('expires', '?')})",
                }
            ]
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{host['host']}: {task.get('task', '')}: {task.get('msg', '')}"},
            "descriptor": {"id": "task-failed"},
        }
        for host in document.get("hosts", [])
        for task in host.get("failed_tasks", [])
    ]
    invocation: dict[str, t.Any] = {"executionSuccessful": not notifications}
    if document.get("generated_at"):
        invocation["endTimeUtc"] = document["generated_at"]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    version = (document.get("collection") or {}).get("version")
    driver: dict[str, t.Any] = {"name": TOOL, "informationUri": INFORMATION_URI, "rules": rules}
    if version:
        driver["version"] = str(version)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {"INVENTORY": {"description": {"text": "The inventory's hosts, by name and layer"}}},
                "invocations": [invocation],
                "results": results,
                "properties": {"checkMode": bool(document.get("check_mode")), "summary": document.get("summary", {})},
            }
        ],
    }


def _uri(value: str) -> str:
    """A host or layer name as one URI path segment."""
    return re.sub(r"[^A-Za-z0-9._~-]", lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), value)


# HTML -------------------------------------------------------------------------

_LABELS = {"not_applicable": "not applicable"}

_CSS = """
:root{--bg:#f6f7f9;--card:#fff;--fg:#1d2330;--muted:#5d6778;--line:#dde1e8;
--pass:#1f8a4c;--fail:#c62f2f;--error:#8e1b5a;--warn:#b76e00;--waived:#7a5cc2;--disabled:#6b7280;
--not_applicable:#8a94a6}
@media (prefers-color-scheme:dark){:root{--bg:#12151b;--card:#1b2029;--fg:#e6e9ef;--muted:#9aa4b5;--line:#2c3340}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);
color:var(--fg)}
header{padding:20px 28px 12px;background:var(--card);border-bottom:1px solid var(--line);position:sticky;top:0;
z-index:2}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:0}h3{font-size:15px;margin:0}
.meta{color:var(--muted);margin:0 0 12px}main{padding:16px 28px 40px;max-width:1200px}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}
.tile{border:1px solid var(--line);border-left:5px solid var(--c);background:var(--card);color:var(--fg);
border-radius:6px;
padding:6px 12px;min-width:96px;text-align:left;cursor:pointer;font:inherit}
.tile .n{display:block;font-size:22px;font-weight:650;color:var(--c)}.tile[aria-pressed=false]{opacity:.45}
.filters{display:flex;gap:12px;align-items:center;flex-wrap:wrap}.filters input[type=search]{padding:5px 8px;
min-width:260px;
border:1px solid var(--line);border-radius:5px;background:var(--bg);color:var(--fg)}
#shown{color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:14px 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);
vertical-align:top}
th{font-weight:600;color:var(--muted)}td.layer a{color:inherit;text-decoration:none}
.pill{display:inline-block;border-radius:10px;padding:0 7px;margin:1px 3px 1px 0;font-size:12px;color:#fff;
background:var(--c)}
.badge{display:inline-block;min-width:124px;white-space:nowrap;text-align:center;border-radius:4px;padding:1px 6px;font-size:12px;
font-weight:600;
color:#fff;background:var(--c);text-transform:uppercase}
.s-pass{--c:var(--pass)}.s-fail{--c:var(--fail)}.s-error{--c:var(--error)}.s-warn{--c:var(--warn)}
.s-waived{--c:var(--waived)}
.s-disabled{--c:var(--disabled)}.s-not_applicable{--c:var(--not_applicable)}
.host-head{display:flex;justify-content:space-between;align-items:baseline;gap:12px;flex-wrap:wrap}
.layer{margin-top:12px}.layer>h3{margin-bottom:4px}
details.control{border-top:1px solid var(--line)}details.control>summary{list-style:none;cursor:pointer;padding:6px 2px;
display:grid;
grid-template-columns:70px 132px 1fr;gap:8px;align-items:baseline}
details.control>summary::-webkit-details-marker{display:none}
.cid{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600}.why{color:var(--muted);display:block}
.changed{font-size:12px;color:var(--warn);margin-left:6px}
dl{display:grid;grid-template-columns:120px 1fr;gap:4px 12px;margin:4px 0 12px 78px}dt{color:var(--muted)}dd{margin:0}
pre{margin:0;white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;
background:var(--bg);
padding:6px 8px;border-radius:4px}
.problems{color:var(--fail)}.hidden{display:none!important}
"""

_JS = """
(function () {
  var tiles = Array.prototype.slice.call(document.querySelectorAll('button.tile'));
  var search = document.getElementById('search');
  var controls = Array.prototype.slice.call(document.querySelectorAll('details.control'));
  var shown = document.getElementById('shown');
  function apply() {
    var wanted = {};
    tiles.forEach(function (t) { if (t.getAttribute('aria-pressed') === 'true') { wanted[t.dataset.status] = true; } });
    var words = search.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var count = 0;
    controls.forEach(function (c) {
      var text = c.dataset.text;
      var ok = wanted[c.dataset.status] && words.every(function (w) { return text.indexOf(w) >= 0; });
      c.classList.toggle('hidden', !ok);
      if (ok) { count += 1; }
    });
    document.querySelectorAll('section.layer').forEach(function (s) {
      s.classList.toggle('hidden', !s.querySelector('details.control:not(.hidden)'));
    });
    document.querySelectorAll('section.host').forEach(function (s) {
      s.classList.toggle('hidden', !s.querySelector('details.control:not(.hidden)') && controls.length > 0);
    });
    shown.textContent = count + ' of ' + controls.length + ' findings shown';
  }
  tiles.forEach(function (t) {
    t.addEventListener('click', function () {
      t.setAttribute('aria-pressed', t.getAttribute('aria-pressed') === 'true' ? 'false' : 'true');
      apply();
    });
  });
  search.addEventListener('input', apply);
  document.getElementById('problems').addEventListener('click', function () {
    tiles.forEach(function (t) {
      var bad = ['fail', 'error', 'warn'].indexOf(t.dataset.status) >= 0;
      t.setAttribute('aria-pressed', bad ? 'true' : 'false');
    });
    apply();
  });
  document.getElementById('all').addEventListener('click', function () {
    tiles.forEach(function (t) { t.setAttribute('aria-pressed', 'true'); });
    search.value = '';
    apply();
  });
  apply();
})();
"""


def _e(value: t.Any) -> str:
    return html.escape(_text(value), quote=True)


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _slug(value: str) -> str:
    return "h-" + hashlib.sha256(value.encode()).hexdigest()[:12]


def _counts(controls_: t.Iterable[dict[str, t.Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for control in controls_:
        counts[control.get("status", "")] = counts.get(control.get("status", ""), 0) + 1
    return counts


def _pills(counts: dict[str, int], scope: str) -> str:
    return "".join(
        f'<span class="pill s-{s}" data-scope="{_e(scope)}" data-status="{s}" data-count="{n}" title="{_LABELS.get(s, s)}">'
        f"{n} {_LABELS.get(s, s)}</span>"
        for s, n in counts.items()
        if n
    )


def _control(host: str, layer: str, control: dict[str, t.Any]) -> str:
    status = control.get("status", "")
    search = " ".join(str(x) for x in (host, layer, control.get("id"), status, control.get("title"), summary_line(control)))
    rows = [f"<dt>{_e(label)}</dt><dd><pre>{_e(text)}</pre></dd>" for label, text in fields(control, status=False)]
    changed = '<span class="changed">changed</span>' if control.get("changed") else ""
    why = summary_line(control) if (control.get("reason") or status in (*FAILING, "warn")) else ""
    return (
        f'<details class="control" data-status="{_e(status)}" data-host="{_e(host)}" data-layer="{_e(layer)}" '
        f'data-id="{_e(control.get("id"))}" data-text="{_e(search.lower())}">'
        f'<summary><span class="cid">{_e(control.get("id"))}</span>'
        f'<span><span class="badge s-{_e(status)}">{_e(_LABELS.get(status, status))}</span></span>'
        f"<span>{_e(control.get('title'))}{changed}"
        + (f'<span class="why">{_e(why)}</span>' if why else "")
        + "</span></summary>"
        f"<dl>{''.join(rows)}</dl></details>"
    )


def html_page(document: dict[str, t.Any]) -> str:
    """A page that needs nothing else: a tile per status with its count (each
    a filter), a search box, an overview of hosts by layer, and per host and
    layer each finding with its reason; its evidence, expected and actual
    state, remediation, waiver and the tasks that changed it open below.
    Counts are in data-count attributes, so a test reads what a person sees."""
    summary = document.get("summary") or _counts(c for _h, _l, c in controls(document))
    hosts = document.get("hosts", [])
    layers_seen = [layer for layer in LAYERS if any(x["layer"] == layer for h in hosts for x in h.get("layers", []))]
    layers_seen += sorted({x["layer"] for h in hosts for x in h.get("layers", [])} - set(layers_seen))
    version = (document.get("collection") or {}).get("version") or "unknown version"
    mode = "check mode (the state before any change)" if document.get("check_mode") else "a normal run"
    tiles = "".join(
        f'<button class="tile s-{s}" type="button" data-status="{s}" aria-pressed="true">'
        f'<span class="n" data-scope="all" data-status="{s}" data-count="{summary.get(s, 0)}">{summary.get(s, 0)}</span>'
        f"{_LABELS.get(s, s)}</button>"
        for s in STATUSES
    )
    overview_rows = []
    sections = []
    for host in hosts:
        name = str(host["host"])
        by_layer = {x["layer"]: x for x in host.get("layers", [])}
        cells = []
        for layer in layers_seen:
            if layer in by_layer:
                counts = _counts(by_layer[layer].get("controls", []))
                cells.append(
                    f'<td class="layer"><a href="#{_slug(name + chr(0) + layer)}">{_pills(counts, name + "/" + layer)}</a></td>'
                )
            else:
                cells.append('<td class="layer">-</td>')
        problems = len(host.get("failed_tasks", []))
        overview_rows.append(
            f'<tr><th><a href="#{_slug(name)}">{_e(name)}</a>'
            + (f' <span class="problems">{problems} failed task(s)</span>' if problems else "")
            + f"</th>{''.join(cells)}</tr>"
        )
        parts = [
            f'<section class="host card" id="{_slug(name)}" data-host="{_e(name)}"><div class="host-head"><h2>{_e(name)}</h2>'
            f"<div>{_pills(_counts(c for x in host.get('layers', []) for c in x.get('controls', [])), name)}</div></div>"
        ]
        for task in host.get("failed_tasks", []):
            parts.append(f'<p class="problems">Task failed: {_e(task.get("task"))}: {_e(task.get("msg"))}</p>')
        for task in host.get("unattributed_changes", []):
            parts.append(f"<p>Changed by a task that names no control: {_e(task)}</p>")
        for layer in host.get("layers", []):
            lname = str(layer["layer"])
            body = "".join(_control(name, lname, c) for c in layer.get("controls", []))
            parts.append(
                f'<section class="layer" id="{_slug(name + chr(0) + lname)}"><h3>{_e(lname)} '
                f"{_pills(_counts(layer.get('controls', [])), name + '/' + lname)}</h3>{body}</section>"
            )
        parts.append("</section>")
        sections.append("".join(parts))
    head_cells = "".join(f"<th>{_e(layer)}</th>" for layer in layers_seen)
    csp = (
        f"default-src 'none'; style-src '{_sha256(_CSS)}'; script-src '{_sha256(_JS)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    title = f"Hardening report: {len(hosts)} host(s), {summary.get('fail', 0) + summary.get('error', 0)} failing"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{_e(TOOL)} {_e(version)}">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>Hardening report</h1>"
        f'<p class="meta">{len(hosts)} host(s) · {_e(TOOL)} {_e(version)} · '
        f"generated {_e(document.get('generated_at'))} · {_e(mode)}</p>"
        f'<div class="tiles" id="tiles">{tiles}</div>'
        '<div class="filters"><input id="search" type="search" placeholder="Filter by host, layer, control, text" '
        'aria-label="Filter findings"><button id="problems" type="button">Problems only</button>'
        '<button id="all" type="button">Show all</button><span id="shown"></span></div></header>'
        '<main><section class="card" id="overview"><h2>Overview</h2>'
        f"<table><thead><tr><th>Host</th>{head_cells}</tr></thead><tbody>{''.join(overview_rows)}</tbody></table></section>"
        f"{''.join(sections)}</main><script>{_JS}</script></body></html>\n"
    )

"""Checks of the report's renderings against the JSON document they came
from, shared by the unit tests (synthetic documents, hostile strings) and
the Molecule verifiers (a real audit run).

Each check parses the file with a tool that is not this collection's: JUnit
with junitparser, SARIF with the SARIF 2.1.0 JSON Schema that Microsoft's
@microsoft/jest-sarif npm package ships (scripts/bootstrap report fetches it),
the HTML with Python's html.parser and, in a real headless Chromium
(Debian's chromium and chromium-driver, through Selenium), rendered with
its script run: no console error, the counts on the page equal the JSON's.
"""

from __future__ import annotations

import base64
import hashlib
import html.parser
import json
import os
import re
from collections import Counter
from pathlib import Path

STATUSES = ("pass", "fail", "error", "warn", "waived", "disabled", "not_applicable")
ROOT = Path(__file__).resolve().parents[3]
SARIF_SCHEMA = Path(os.environ.get("INSIGHTENGINE_CACHE", ROOT / ".cache")) / "schemas" / "sarif-2.1.0-rtm.5.json"


def controls(document: dict):
    for host in document["hosts"]:
        for layer in host["layers"]:
            for control in layer["controls"]:
                yield host["host"], layer["layer"], control


def check_junit(path: Path, document: dict) -> None:
    import junitparser

    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {valid_xml_text(h["host"]) for h in document["hosts"]}
    for host in document["hosts"]:
        suite = suites[valid_xml_text(host["host"])]
        cases = list(suite)
        statuses = Counter(c["status"] for layer in host["layers"] for c in layer["controls"])
        tasks = len(host["failed_tasks"])
        assert len(cases) == sum(statuses.values()) + tasks
        assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
            sum(statuses.values()) + tasks,
            statuses["fail"],
            statuses["error"] + tasks,
            statuses["disabled"] + statuses["not_applicable"] + statuses["waived"],
        )
        by_name = {(case.classname, case.name): case for case in cases}
        for layer in host["layers"]:
            for control in layer["controls"]:
                key = (valid_xml_text(f"{host['host']}.{layer['layer']}"), valid_xml_text(f"{control['id']} {control['title']}"))
                case = by_name[key]
                kinds = [type(r).__name__ for r in case.result]
                expected = {"fail": ["Failure"], "error": ["Error"], "disabled": ["Skipped"], "not_applicable": ["Skipped"]}
                expected["waived"] = ["Skipped"]
                assert kinds == expected.get(control["status"], []), (control["id"], kinds)
    totals = len(list(controls(document))) + sum(len(h["failed_tasks"]) for h in document["hosts"])
    assert xml.tests == totals


def check_sarif(path: Path, document: dict) -> dict:
    import jsonschema

    log = json.loads(Path(path).read_text())
    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(log)]
    assert not errors, errors[:10]
    (run,) = log["runs"]
    results = run["results"]
    found = list(controls(document))
    assert len(results) == len(found)
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules) == len({c["id"] for _h, _l, c in found})
    for result, (host, layer, control) in zip(results, found):
        assert result["ruleId"] == control["id"] == rules[result["ruleIndex"]]["id"]
        assert result["properties"]["host"] == host and result["properties"]["layer"] == layer
        assert result["properties"]["status"] == control["status"]
        assert (result["kind"] == "fail") == (control["status"] in ("fail", "error", "warn", "waived"))
        if result["kind"] != "fail":
            assert result["level"] == "none"
        suppressed = result.get("suppressions", [])
        assert bool(suppressed) == (control["status"] == "waived")
        if suppressed:
            assert suppressed[0]["status"] == "accepted" and control["waiver"]["approver"] in suppressed[0]["justification"]
    return log


class _Page(html.parser.HTMLParser):
    """What the static page holds: its scripts and styles, the CSP, the
    findings by status and the counts it shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.csp = ""
        self.findings: Counter = Counter()
        self.tiles: dict[str, int] = {}
        self.external: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content", "")
        if tag == "details" and "control" in a.get("class", "").split():
            self.findings[a["data-status"]] += 1
        if a.get("data-scope") == "all":
            self.tiles[a["data-status"]] = int(a["data-count"])
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(f"{tag} {name}={value}")
        self.stack.append(tag)
        if tag in ("script", "style"):
            getattr(self, tag + "s").append("")

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("script", "style"):
            bucket = getattr(self, self.stack[-1] + "s")
            bucket[-1] += data


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def check_html_static(text: str, document: dict) -> None:
    """One script and one style, both allowed by hash and nothing else; no
    event handler attribute and no outside resource (a finding's markup
    stays text); one finding per control with its status; the tiles' counts
    are the document's summary."""
    page = _Page()
    page.feed(text)
    page.close()
    assert len(page.scripts) == 1 and len(page.styles) == 1, (len(page.scripts), len(page.styles))
    assert "default-src 'none'" in page.csp
    assert f"script-src '{_hash(page.scripts[0])}'" in page.csp
    assert f"style-src '{_hash(page.styles[0])}'" in page.csp
    assert not page.handlers, page.handlers
    assert not page.external, page.external
    statuses = Counter(c["status"] for _h, _l, c in controls(document))
    assert dict(page.findings) == {s: n for s, n in statuses.items() if n}
    assert page.tiles == {s: document["summary"].get(s, 0) for s in STATUSES}


def browser():
    """Headless Debian Chromium through its chromedriver, console logged."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check_html_in_browser(path: Path, document: dict, screenshot: Path) -> dict:
    """Rendered in Chromium: no console message at all (a CSP violation or
    a script error is one), the counts shown equal the JSON's, each tile
    filters, the search box narrows, and the screenshot is a real PNG."""
    from selenium.webdriver.common.by import By

    driver = browser()
    try:
        driver.get(Path(path).resolve().as_uri())
        total = len(list(controls(document)))
        shown = driver.find_element(By.ID, "shown")
        assert shown.text == f"{total} of {total} findings shown", shown.text
        counts = {e.get_attribute("data-status"): int(e.text) for e in driver.find_elements(By.CSS_SELECTOR, "button.tile .n")}
        assert counts == {s: document["summary"].get(s, 0) for s in STATUSES}
        rows = driver.find_elements(By.CSS_SELECTOR, "details.control")
        assert len(rows) == total
        by_status = Counter(r.get_attribute("data-status") for r in rows if r.is_displayed())
        assert by_status == Counter(c["status"] for _h, _l, c in controls(document))
        # Only one status: switch every other tile off.
        status = next(s for s in STATUSES if document["summary"].get(s))
        for tile in driver.find_elements(By.CSS_SELECTOR, "button.tile"):
            if tile.get_attribute("data-status") != status:
                tile.click()
        visible = [r for r in driver.find_elements(By.CSS_SELECTOR, "details.control") if r.is_displayed()]
        assert len(visible) == document["summary"][status]
        assert {r.get_attribute("data-status") for r in visible} == {status}
        assert shown.text == f"{document['summary'][status]} of {total} findings shown"
        driver.find_element(By.ID, "all").click()
        _host, _layer, control = next(controls(document))
        driver.find_element(By.ID, "search").send_keys(control["id"].lower())
        visible = [r for r in driver.find_elements(By.CSS_SELECTOR, "details.control") if r.is_displayed()]
        assert visible and all(r.get_attribute("data-id") == control["id"] for r in visible)
        driver.find_element(By.ID, "all").click()
        driver.save_screenshot(str(screenshot))
        console = driver.get_log("browser")
        assert not console, console
        data = Path(screenshot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, len(data)
        return {"title": driver.title, "shown": shown.text}
    finally:
        driver.quit()


def valid_xml_text(text: str) -> str:
    """What of a string survives in XML 1.0."""
    return re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", text)

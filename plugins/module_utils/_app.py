# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The app layer (work in progress, not in the layer registry yet): its
control catalog, the scan gate on Trivy's JSON report, and the guide's
defaults every Compose service gets, with the deviations a service asks for.

Trivy's JSON report (``trivy image -f json``, SchemaVersion 2): an object
with ``ArtifactName`` and ``Results``, each result a ``Target`` with
``Vulnerabilities`` (``VulnerabilityID``, ``PkgName``, ``InstalledVersion``,
``FixedVersion``, ``Severity``, ``Status``), ``Secrets`` (``RuleID``,
``Category``, ``Severity``, ``Title``, ``StartLine``) and
``Misconfigurations`` (``ID``, ``AVDID``, ``Title``, ``Severity``,
``Status`` PASS or FAIL). Older reports (a bare list of results) are read
too.

Private to the collection: no API promise.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import typing as t

from ._findings import Control, expiry, waiver_problems

GUIDE_CONTAINERS = "2. Container Security (Docker)"
# The guide's production configuration (4.1): variable -> the only value
# accepted without a waiver of APP-07.
PRODUCTION = {"APP_ENV": "production", "SSL_ENABLED": "true", "COOKIE_SECURE": "true", "DEBUG": "false"}
GUIDE_CONFIG = "4.1 Configuration"

CATALOG = (
    Control(
        "APP-01",
        "Every service runs as a fixed non-root UID",
        f"{GUIDE_CONTAINERS} / Non-Root User",
        "Set app_services.<name>.user to a UID:GID above 0 (the image's USER is not trusted).",
        source="docker inspect (Config.User) of every running container of the project; id inside it",
        switch="app_non_root_enabled",
    ),
    Control(
        "APP-02",
        "Root file systems are read-only; tmpfs only where a service writes",
        f"{GUIDE_CONTAINERS} / Read-Only Filesystem",
        "Leave read_only on and list the paths the service writes in app_services.<name>.tmpfs.",
        source="docker inspect (HostConfig.ReadonlyRootfs, Tmpfs)",
        switch="app_read_only_enabled",
    ),
    Control(
        "APP-03",
        "CPU, memory and pids limits on every service",
        f"{GUIDE_CONTAINERS} / Resource Limits",
        "Set app_services.<name>.cpus, mem_limit and pids_limit (defaults apply when unset).",
        source="docker inspect (HostConfig.NanoCpus, Memory, PidsLimit)",
        switch="app_limits_enabled",
    ),
    Control(
        "APP-04",
        "No privileges: all capabilities dropped (explicit adds only), no-new-privileges, never privileged",
        f"{GUIDE_CONTAINERS} / Non-Root User (least privilege)",
        "Remove privileged and cap_add entries that are not needed; keep no-new-privileges.",
        source="docker inspect (HostConfig.Privileged, CapDrop, CapAdd, SecurityOpt)",
        switch="app_privileges_enabled",
    ),
    Control(
        "APP-05",
        "Ports published on 127.0.0.1 only (nginx is the way in); healthy, with a restart policy",
        f"{GUIDE_CONTAINERS}; 4.2 Network Security / Reverse Proxy",
        "Publish on 127.0.0.1 and let the nginx layer proxy to it; give the service a healthcheck.",
        source="docker inspect (NetworkSettings.Ports, State.Health, HostConfig.RestartPolicy)",
        switch="app_exposure_enabled",
    ),
    Control(
        "APP-06",
        "Each image was scanned before deploy: no vulnerability at or above the threshold, no secret, "
        "no misconfiguration, except by a current waiver",
        f"{GUIDE_CONTAINERS} / Image Vuln Scanning",
        "Update the image, or waive the finding (app_scan_waivers: reason, approver, expires).",
        source="the Trivy JSON report of each image the project runs, and its age",
        switch="app_scan_enabled",
    ),
    Control(
        "APP-07",
        "Production configuration: APP_ENV=production, SSL_ENABLED=true, COOKIE_SECURE=true, debug off; "
        "configuration files 0600 or 0640",
        f"{GUIDE_CONFIG} / Environment Variables",
        "Run the app role; a value other than the guide's needs a waiver of APP-07.",
        source="the configuration the running application holds (read through the container, secrets redacted); stat",
        switch="app_production_config_enabled",
    ),
    Control(
        "APP-08",
        "Secrets reach containers as files, not environment variables, and are younger than their maximum age",
        f"{GUIDE_CONFIG} / Secret Management",
        "Run playbooks/rotate-secrets.yml; move secrets out of environment: into app_secrets.",
        source="docker inspect (Config.Env names), the secret files' modes and ages",
        switch="app_secrets_enabled",
    ),
)

SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def _rank(severity: t.Any) -> int:
    value = str(severity or "UNKNOWN").upper()
    return SEVERITIES.index(value) if value in SEVERITIES else 0


def report_results(report: t.Any) -> tuple[str, list[dict[str, t.Any]]]:
    """(artifact name, results) of a Trivy JSON report; ValueError when it
    is not one."""
    if isinstance(report, list):
        return "", [r for r in report if isinstance(r, dict)]
    if not isinstance(report, dict) or not isinstance(report.get("Results", []), (list, type(None))):
        raise ValueError("not a Trivy JSON report (an object with Results)")
    if "Results" not in report and "SchemaVersion" not in report:
        raise ValueError("not a Trivy JSON report (no SchemaVersion, no Results)")
    return str(report.get("ArtifactName") or ""), [r for r in report.get("Results") or [] if isinstance(r, dict)]


def scan_findings(report: t.Any) -> list[dict[str, t.Any]]:
    """Every finding of a report, one shape: kind (vulnerability, secret,
    misconfiguration), id, target, package, installed, fixed, severity,
    title. Misconfigurations that passed are left out."""
    _artifact, results = report_results(report)
    found = []
    for result in results:
        target = str(result.get("Target") or "")
        for vuln in result.get("Vulnerabilities") or []:
            found.append({
                "kind": "vulnerability", "id": str(vuln.get("VulnerabilityID") or "?"), "target": target,
                "package": str(vuln.get("PkgName") or ""), "installed": str(vuln.get("InstalledVersion") or ""),
                "fixed": str(vuln.get("FixedVersion") or ""), "severity": str(vuln.get("Severity") or "UNKNOWN").upper(),
                "title": str(vuln.get("Title") or ""),
            })  # fmt: skip
        for secret in result.get("Secrets") or []:
            found.append({
                "kind": "secret", "id": str(secret.get("RuleID") or "?"), "target": target,
                "package": f"{target}:{secret.get('StartLine', '?')}", "installed": "", "fixed": "",
                "severity": str(secret.get("Severity") or "UNKNOWN").upper(), "title": str(secret.get("Title") or ""),
            })  # fmt: skip
        for misconf in result.get("Misconfigurations") or []:
            if str(misconf.get("Status") or "FAIL").upper() == "PASS":
                continue
            found.append({
                "kind": "misconfiguration", "id": str(misconf.get("AVDID") or misconf.get("ID") or "?"), "target": target,
                "package": target, "installed": "", "fixed": "",
                "severity": str(misconf.get("Severity") or "UNKNOWN").upper(), "title": str(misconf.get("Title") or ""),
            })  # fmt: skip
    return found


def scan_waiver_problems(waivers: t.Any) -> list[str]:
    """What is wrong with app_scan_waivers: a mapping of finding ID (a CVE,
    a secret rule, a misconfiguration ID) to reason, approver, expires."""
    if not isinstance(waivers, dict):
        return ["must be a mapping of finding ID to reason, approver and expires"]
    problems = []
    for fid, waiver in waivers.items():
        if not isinstance(fid, str) or not fid or not fid.isprintable() or " " in fid:
            problems.append(f"{fid!r}: not a finding ID (CVE-2024-1234, GHSA-..., a secret rule or AVD-...)")
            continue
        problems += [f"{fid}: {problem}" for problem in waiver_problems(waiver)]
    return problems


def gate(
    report: t.Any,
    threshold: str = "HIGH",
    ignore_unfixed: bool = False,
    waivers: dict[str, dict[str, t.Any]] | None = None,
    today: datetime.date | None = None,
) -> dict[str, t.Any]:
    """The deploy decision on one image's report. A vulnerability at or
    above the threshold blocks (unfixed ones too, unless ignore_unfixed);
    every secret and failed misconfiguration at or above the threshold
    blocks. A current waiver lets a finding pass and is listed; an expired
    one blocks it again, whatever else holds."""
    return gate_findings(scan_findings(report), threshold, ignore_unfixed, waivers, today)


def at_threshold(findings: t.Iterable[dict[str, t.Any]], threshold: str) -> list[dict[str, t.Any]]:
    """The findings the gate looks at (what a scan record keeps)."""
    limit = _rank(threshold)
    return [f for f in findings if _rank(f["severity"]) >= limit]


def gate_findings(
    findings: t.Iterable[dict[str, t.Any]],
    threshold: str = "HIGH",
    ignore_unfixed: bool = False,
    waivers: dict[str, dict[str, t.Any]] | None = None,
    today: datetime.date | None = None,
) -> dict[str, t.Any]:
    """gate() on findings already read (a scan record judged again with
    today's waivers: verify does that)."""
    today = today or datetime.date.today()
    waivers = waivers or {}
    blocking, waived, ignored = [], [], []
    for finding in at_threshold(findings, threshold):
        if finding["kind"] == "vulnerability" and ignore_unfixed and not finding["fixed"]:
            ignored.append(finding)
            continue
        waiver = waivers.get(finding["id"])
        until = expiry(waiver) if isinstance(waiver, dict) else None
        if waiver and until is not None and until >= today:
            waived.append({**finding, "waiver": {**waiver, "expires": until.isoformat()}})
        elif waiver:
            blocking.append({**finding, "reason": f"waiver expired on {until}"})
        else:
            blocking.append(finding)
    return {"pass": not blocking, "blocking": blocking, "waived": waived, "ignored_unfixed": ignored}


def render_blocking(image: str, decision: dict[str, t.Any]) -> str:
    """The readable list a stopped deploy prints: one line per finding."""
    lines = [f"{image}: {len(decision['blocking'])} finding(s) stop the deploy:"]
    for f in decision["blocking"]:
        version = f" {f['installed']} (fixed in {f['fixed'] or 'no release yet'})" if f["kind"] == "vulnerability" else ""
        note = f" [{f['reason']}]" if f.get("reason") else ""
        lines.append(f"  {f['severity']:<8} {f['id']:<20} {f['package']}{version} - {f['title']}{note}")
    return "\n".join(lines)


# -- the guide's defaults for every service -----------------------------------

# What every service gets unless its definition says otherwise (and a waiver
# of the control covers the difference).
SERVICE_DEFAULTS: dict[str, t.Any] = {
    "read_only": True,
    "cap_drop": ["ALL"],
    "cap_add": [],
    "security_opt": ["no-new-privileges:true"],
    "privileged": False,
    "mem_limit": "256m",
    "cpus": 0.5,
    "pids_limit": 128,
    # always, not unless-stopped: Docker 26.1 does not start unless-stopped
    # containers again after a shutdown that stopped them (a reboot).
    "restart": "always",
}


def deviations(service: dict[str, t.Any]) -> dict[str, str]:
    """The controls a service definition leaves, with what it asks for:
    each needs a waiver of that control (reason, approver, expiry)."""
    out: dict[str, str] = {}
    user = str(service.get("user") or "")
    uid = user.split(":", 1)[0]
    if not uid.isdigit() or int(uid) == 0:
        out["APP-01"] = f"user {user or '(the image default)'} is not a fixed non-root UID"
    if service.get("read_only") is False:
        out["APP-02"] = "read_only: false"
    for key in ("mem_limit", "cpus", "pids_limit"):
        if key in service and service[key] in (None, 0, "0", -1, "-1", ""):
            out["APP-03"] = f"{key}: {service[key]!r} (no limit)"
    if service.get("privileged") is True:
        out["APP-04"] = "privileged: true"
    elif service.get("cap_drop") not in (None, ["ALL"]):
        out["APP-04"] = f"cap_drop: {service.get('cap_drop')!r} (not ALL)"
    elif "no-new-privileges:false" in (service.get("security_opt") or []):
        out["APP-04"] = "security_opt no-new-privileges:false"
    for port in service.get("ports") or []:
        text = str(port)
        if not text.startswith(("127.0.0.1:", "[::1]:")):
            out["APP-05"] = f"port {text} is not published on 127.0.0.1"
    return out


def trivy_argv(
    trivy: str, target: str, *, kind: str = "image", scanners: t.Iterable[str] = ("vuln", "secret", "misconfig"),
    cache_dir: str | None = None, offline: bool = False,
) -> list[str]:  # fmt: skip
    """The Trivy command that scans one image (a name, or with kind
    "input" a saved tarball) or a directory ("fs") and prints the JSON
    report. offline: no database or checks update (vulnerability scans
    then need a database already in the cache)."""
    if kind not in ("image", "input", "fs"):
        raise ValueError(f"kind must be image, input or fs, got {kind!r}")
    argv = [trivy, "fs" if kind == "fs" else "image", "--format", "json", "--quiet", "--scanners", ",".join(scanners)]
    if cache_dir:
        argv += ["--cache-dir", cache_dir]
    if offline:
        argv += ["--skip-check-update"] + (["--skip-db-update"] if "vuln" in scanners else [])
    argv += ["--input", target] if kind == "input" else [target]
    return argv


# -- judging running containers (docker inspect) -------------------------------

SECRET_ENV = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "API_KEY", "PRIVATE_KEY", "CREDENTIAL")


def _name(container: dict[str, t.Any]) -> str:
    labels = (container.get("Config") or {}).get("Labels") or {}
    return labels.get("com.docker.compose.service") or str(container.get("Name") or "?").lstrip("/")


def _identity(cfg: dict[str, t.Any], host: dict[str, t.Any]) -> t.Iterator[tuple[str, str]]:
    user = str(cfg.get("User") or "")
    uid = user.split(":", 1)[0]
    if not uid.isdigit() or int(uid) == 0:
        yield "APP-01", f"runs as {user or 'the image default (root unless the image says otherwise)'}"
    if not host.get("ReadonlyRootfs"):
        yield "APP-02", "root file system writable"


def _limits(host: dict[str, t.Any]) -> t.Iterator[tuple[str, str]]:
    if not host.get("Memory"):
        yield "APP-03", "no memory limit"
    if not host.get("NanoCpus") and not host.get("CpuQuota"):
        yield "APP-03", "no CPU limit"
    if (host.get("PidsLimit") or 0) <= 0:
        yield "APP-03", "no pids limit"


def _privileges(host: dict[str, t.Any]) -> t.Iterator[tuple[str, str]]:
    if host.get("Privileged"):
        yield "APP-04", "privileged"
    if [c.upper().removeprefix("CAP_") for c in host.get("CapDrop") or []] != ["ALL"]:
        yield "APP-04", f"capabilities not dropped (cap_drop {host.get('CapDrop') or []})"
    options = [str(o).replace("=", ":") for o in host.get("SecurityOpt") or []]
    if not any(o.startswith("no-new-privileges") and not o.endswith("false") for o in options):
        yield "APP-04", "no-new-privileges not set"


def _exposure(container: dict[str, t.Any], host: dict[str, t.Any], state: dict[str, t.Any]) -> t.Iterator[tuple[str, str]]:
    for port, bindings in ((container.get("NetworkSettings") or {}).get("Ports") or {}).items():
        for binding in bindings or []:
            address = str(binding.get("HostIp") or "")
            if address not in ("127.0.0.1", "::1"):
                yield "APP-05", f"{port} published on {address or 'every address'}:{binding.get('HostPort')}"
    health = (state.get("Health") or {}).get("Status")
    if health != "healthy":
        yield "APP-05", f"health {health or 'none (no healthcheck)'}"
    if ((host.get("RestartPolicy") or {}).get("Name") or "no") == "no":
        yield "APP-05", "no restart policy"


def container_problems(container: dict[str, t.Any]) -> dict[str, list[str]]:
    """What one running container (``docker inspect``) leaves of APP-01 to
    APP-05 and APP-08, by control. Environment values are never read into
    a problem, only names."""
    cfg = container.get("Config") or {}
    host = container.get("HostConfig") or {}
    state = container.get("State") or {}
    out: dict[str, list[str]] = {}
    names = [str(e).split("=", 1)[0] for e in cfg.get("Env") or []]
    leaked = [n for n in names if secret_like(n)]
    secrets = [("APP-08", f"secrets in the environment docker inspect shows: {', '.join(leaked)}")] if leaked else []
    for cid, text in [*_identity(cfg, host), *_limits(host), *_privileges(host), *_exposure(container, host, state), *secrets]:
        out.setdefault(cid, []).append(text)
    return out


def drifted(containers: t.Iterable[dict[str, t.Any]], accepted: dict[str, t.Iterable[str]]) -> list[str]:
    """The services whose running container has a problem its definition
    does not explain (a waived deviation): recreated by hand, changed
    behind Compose's back. Health is not drift: a restart does not fix it."""
    out = []
    for container in containers:
        if not (container.get("State") or {}).get("Running"):
            continue
        name = _name(container)
        problems = container_problems(container)
        problems["APP-05"] = [p for p in problems.get("APP-05", []) if not p.startswith("health ")]
        if any(found for cid, found in problems.items() if cid not in set(accepted.get(name) or ())):
            out.append(name)
    return sorted(set(out))


def project_problems(containers: t.Iterable[dict[str, t.Any]]) -> dict[str, dict[str, list[str]]]:
    """Control -> service -> what is wrong, for every container of a project."""
    by_control: dict[str, dict[str, list[str]]] = {}
    for container in containers:
        for cid, problems in container_problems(container).items():
            by_control.setdefault(cid, {})[_name(container)] = problems
    return by_control


# -- the Compose project -----------------------------------------------------------

DEFAULT_USER = "10001:10001"
# Owned by the service's UID (measured on Docker 20.10: mode=1777 alone left
# a root-owned 0755 tmpfs the service could not write), never a place to run
# programs from, and bounded (tmpfs counts against memory).
TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size=64m,mode=0700"
SECRETS_DIR = "/run/secrets"


def _escape(value: t.Any) -> t.Any:
    """Compose interpolates $ in the file's values: $$ is a literal $."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [_escape(item) for item in value]
    if isinstance(value, dict):
        return {key: _escape(item) for key, item in value.items()}
    return value


def compose_document(
    services: dict[str, dict[str, t.Any]],
    secret_files: dict[str, str] | None = None,
    network: str = "insightengine",
    subnet: str = "",
) -> dict[str, t.Any]:
    """The Compose file (the Compose Specification, no version key: Compose
    v2 and docker-compose 1.29 both read it) for validated service
    definitions: each service gets the guide's defaults and keeps what it
    sets itself (deviations() says which need a waiver). Secrets are files
    mounted at /run/secrets/NAME (Compose file secrets), never environment."""
    secret_files = secret_files or {}
    net: dict[str, t.Any] = {"driver": "bridge"}
    if subnet:
        net["ipam"] = {"config": [{"subnet": subnet}]}
    document: dict[str, t.Any] = {"services": {}, "networks": {network: net}}
    for name, raw in sorted(services.items()):
        service = {k: val for k, val in raw.items() if val is not None}
        out: dict[str, t.Any] = {
            **{k: val for k, val in SERVICE_DEFAULTS.items() if k != "cap_add"},
            "user": DEFAULT_USER,
            "networks": [network],
        }
        for key in ("image", "user", "command", "read_only", "privileged", "mem_limit", "cpus", "pids_limit", "ports",
                    "volumes"):  # fmt: skip
            if key in service:
                out[key] = _escape(service[key])
        if service.get("cap_add"):
            out["cap_add"] = list(service["cap_add"])
        if service.get("tmpfs"):
            uid, _sep, gid = str(out["user"]).partition(":")
            options = f"{TMPFS_OPTIONS},uid={uid},gid={gid or uid}"
            out["tmpfs"] = [f"{path}:{options}" for path in service["tmpfs"]]
        if service.get("environment"):
            out["environment"] = _escape(dict(sorted(service["environment"].items())))
        if service.get("healthcheck"):
            out["healthcheck"] = {"test": _escape(list(service["healthcheck"])), "interval": "10s", "timeout": "5s",
                                  "retries": 3, "start_period": "20s"}  # fmt: skip
        wanted = list(service.get("secrets") or [])
        unknown = [s for s in wanted if s not in secret_files]
        if unknown:
            raise ValueError(f"service {name} names secrets that are not defined: {', '.join(unknown)}")
        if wanted:
            out["secrets"] = wanted
        document["services"][name] = out
    used = sorted({s for svc in document["services"].values() for s in svc.get("secrets", [])})
    if used:
        document["secrets"] = {s: {"file": secret_files[s]} for s in used}
    return document


HASH_LABEL = "io.insightengine.config-hash"


def compose_project(
    services: dict[str, dict[str, t.Any]],
    secrets: dict[str, dict[str, str]] | None = None,
    network: str = "insightengine",
    subnet: str = "",
) -> tuple[dict[str, t.Any], dict[str, str]]:
    """The Compose document and each service's configuration hash, which
    the document carries as a label: a service whose running container has
    another hash (or none) is due, and Compose recreates exactly those.
    secrets: name -> {file, version}; the version (a digest of the value,
    never the value) is part of the hash of the services that mount it, so
    a rotated secret recreates them."""
    secrets = secrets or {}
    document = compose_document(services, {name: s["file"] for name, s in secrets.items()}, network, subnet)
    hashes = {}
    for name, service in document["services"].items():
        versions = {s: secrets[s].get("version", "") for s in service.get("secrets", [])}
        canonical = json.dumps([service, versions, document["networks"]], sort_keys=True, separators=(",", ":"))
        hashes[name] = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        service["labels"] = {HASH_LABEL: hashes[name]}
    return document, hashes


# -- reading the project on the host (app_info, app_verify) ------------------------

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def _json_objects(text: str) -> list[t.Any]:
    try:
        found = json.loads(text)
    except ValueError:
        return []
    return found if isinstance(found, list) else [found]


def project_containers(host: t.Any, project: str) -> list[dict[str, t.Any]]:
    """docker inspect of every container of the Compose project, running or not."""
    docker = host.which("docker")
    if not docker:
        return []
    rc, out, _err = host.run(docker, "ps", "--all", "--quiet", "--no-trunc", "--filter", f"label={PROJECT_LABEL}={project}")
    ids = out.split() if rc == 0 else []
    if not ids:
        return []
    rc, out, _err = host.run(docker, "inspect", *ids)
    return [c for c in _json_objects(out) if isinstance(c, dict)] if rc == 0 else []


def summary(container: dict[str, t.Any]) -> dict[str, t.Any]:
    """What the role decides on about one container: no environment, no secrets."""
    cfg = container.get("Config") or {}
    state = container.get("State") or {}
    return {
        "id": str(container.get("Id") or "")[:12],
        "name": str(container.get("Name") or "").lstrip("/"),
        "service": (cfg.get("Labels") or {}).get(SERVICE_LABEL, ""),
        "hash": (cfg.get("Labels") or {}).get(HASH_LABEL, ""),
        "image": cfg.get("Image", ""),
        "image_id": container.get("Image", ""),
        "status": state.get("Status", ""),
        "health": (state.get("Health") or {}).get("Status"),
        "pid": state.get("Pid") or 0,
    }


def image_ids(host: t.Any, images: t.Iterable[str]) -> dict[str, str | None]:
    """The local ID of each image, None where the engine does not have it."""
    docker = host.which("docker")
    out_ids: dict[str, str | None] = {}
    for image in images:
        rc, out, _err = host.run(docker, "image", "inspect", "--format", "{{.Id}}", image) if docker else (1, "", "")
        out_ids[image] = out.strip() if rc == 0 and out.strip() else None
    return out_ids


def process_environment(host: t.Any, pid: t.Any) -> dict[str, str] | None:
    """The environment a running process holds (/proc/PID/environ): what
    the application really got, whatever the file says."""
    if not str(pid).isdigit() or int(pid) <= 0:
        return None
    text = host.read(f"/proc/{int(pid)}/environ")
    if text is None:
        return None
    return dict(item.split("=", 1) for item in text.split("\0") if "=" in item)


# Names that point at a secret (the *_FILE convention, a directory) hold none.
REFERENCE_SUFFIXES = ("_FILE", "_FILES", "_DIR", "_PATH")


def secret_like(name: str) -> bool:
    upper = name.upper().replace("-", "_")
    return not upper.endswith(REFERENCE_SUFFIXES) and any(word in upper for word in SECRET_ENV)


def scan_record_name(image: str) -> str:
    """The file name of an image's scan record."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in image) + ".json"


def read_scan_record(host: t.Any, directory: str, image: str) -> dict[str, t.Any] | None:
    """An image's last scan record (app_scan wrote it), None when there is
    none or it does not parse."""
    text = host.read(f"{directory.rstrip('/')}/scans/{scan_record_name(image)}")
    try:
        record = json.loads(text) if text else None
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def record_age_days(record: dict[str, t.Any] | None, today: datetime.date) -> int | None:
    """Days since the record's scan (its report's own date for a CI report)."""
    try:
        return (today - datetime.date.fromisoformat(str((record or {}).get("scanned", ""))[:10])).days
    except ValueError:
        return None

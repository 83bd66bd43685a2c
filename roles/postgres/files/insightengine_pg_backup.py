# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installed by insightengine.hardening.postgres; run by systemd as postgres:
#
#   python3 pg_backup.py backup       --root DIR --port N --retention-days N
#   python3 pg_backup.py restore-test --root DIR --port N --status FILE
#
# backup: pg_dumpall --globals-only plus one pg_dump -Fc per database into
# ROOT/<UTC time>/, each file 0600, the directory 0700. MANIFEST.json is
# written last, with each file's SHA-256: a backup without it is incomplete.
# Complete backups older than the retention are deleted; the newest is kept.
#
# restore-test: checks the newest complete backup's checksums, restores each
# database dump into a scratch database, compares the tables restored with
# the dump's table of contents, drops the scratch database and writes the
# result to FILE (JSON). The postgres role's verify module reports it.

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

MANIFEST = "MANIFEST.json"
SCRATCH = "insightengine_restore_test"


def psql(port: str, sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-p", port, "-d", database, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def complete_backups(root: str) -> list[str]:
    """Complete backup directories, oldest first."""
    found = []
    for name in os.listdir(root):
        manifest = os.path.join(root, name, MANIFEST)
        if os.path.isfile(manifest):
            found.append((os.stat(manifest).st_mtime, name))
    return [os.path.join(root, name) for _mtime, name in sorted(found)]


def backup(args: argparse.Namespace) -> int:
    os.umask(0o077)
    os.makedirs(args.root, mode=0o700, exist_ok=True)
    os.chmod(args.root, 0o700)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = os.path.join(args.root, stamp)
    os.mkdir(target, 0o700)
    databases = psql(args.port, "select datname from pg_database where datallowconn and not datistemplate order by 1").split()
    manifest: dict = {"started": time.time(), "port": args.port, "files": {}, "databases": {}}
    globals_file = os.path.join(target, "globals.sql")
    with open(globals_file, "wb") as handle:
        subprocess.run(["pg_dumpall", "-p", args.port, "--globals-only", "--no-role-passwords"], check=True, stdout=handle)
    for database in databases:
        path = os.path.join(target, f"{database}.dump")
        subprocess.run(["pg_dump", "-p", args.port, "-Fc", "-f", path, database], check=True)
        manifest["databases"][database] = os.path.basename(path)
    for name in sorted(os.listdir(target)):
        manifest["files"][name] = sha256(os.path.join(target, name))
    manifest["finished"] = time.time()
    tmp = os.path.join(target, MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
    os.rename(tmp, os.path.join(target, MANIFEST))
    prune(args.root, args.retention_days, keep=target)
    print(f"backup {target}: {len(databases)} databases")
    return 0


def prune(root: str, retention_days: float, keep: str) -> None:
    limit = time.time() - retention_days * 86400
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if path == keep or not os.path.isdir(path):
            continue
        manifest = os.path.join(path, MANIFEST)
        reference = manifest if os.path.isfile(manifest) else path
        # Incomplete directories (a backup that died) go after a day.
        age_limit = limit if os.path.isfile(manifest) else time.time() - 86400
        if os.stat(reference).st_mtime < age_limit:
            shutil.rmtree(path)
            print(f"pruned {path}")


def restore_test(args: argparse.Namespace) -> int:
    result: dict = {"started": time.time(), "ok": False, "backup": None, "databases": {}, "error": None}
    try:
        backups = complete_backups(args.root)
        if not backups:
            raise RuntimeError(f"no complete backup in {args.root}")
        latest = backups[-1]
        result["backup"] = os.path.basename(latest)
        with open(os.path.join(latest, MANIFEST), encoding="utf-8") as handle:
            manifest = json.load(handle)
        for name, digest in manifest["files"].items():
            if sha256(os.path.join(latest, name)) != digest:
                raise RuntimeError(f"{name}: checksum differs from the manifest")
        for database, filename in sorted(manifest["databases"].items()):
            path = os.path.join(latest, filename)
            toc = subprocess.run(["pg_restore", "-l", path], check=True, capture_output=True, text=True).stdout
            expected = sum(1 for line in toc.splitlines() if " TABLE DATA " in line)
            psql(args.port, f'drop database if exists "{SCRATCH}"')
            psql(args.port, f'create database "{SCRATCH}"')
            try:
                restore = subprocess.run(
                    ["pg_restore", "-p", args.port, "-d", SCRATCH, "--no-owner", "--no-privileges", "--exit-on-error", path],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if restore.returncode != 0:
                    raise RuntimeError(f"{database}: pg_restore failed: {restore.stderr.strip()[:500]}")
                tables = int(
                    psql(
                        args.port,
                        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                        " where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')"
                        " and n.nspname not like 'pg_toast%'",
                        SCRATCH,
                    )
                )
                rows = int(
                    psql(
                        args.port,
                        "select coalesce(sum((xpath('/row/c/text()', query_to_xml("
                        "format('select count(*) as c from %I.%I', n.nspname, c.relname),"
                        " false, true, '')))[1]::text::bigint), 0)"
                        " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                        " where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')"
                        " and n.nspname not like 'pg_toast%'",
                        SCRATCH,
                    )
                )
            finally:
                psql(args.port, f'drop database if exists "{SCRATCH}"')
            result["databases"][database] = {"tables_in_dump": expected, "tables_restored": tables, "rows_restored": rows}
            if tables < expected:
                raise RuntimeError(f"{database}: {tables} tables restored, the dump holds {expected}")
        result["ok"] = True
    except (OSError, ValueError, KeyError, RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None)
        result["error"] = f"{exc}{': ' + detail.strip()[:300] if isinstance(detail, str) and detail else ''}"
    result["finished"] = time.time()
    tmp = args.status + ".tmp"
    old = os.umask(0o077)
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2, sort_keys=True)
        os.rename(tmp, args.status)
    finally:
        os.umask(old)
    print(json.dumps(result, sort_keys=True))
    return 0 if result["ok"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["backup", "restore-test"])
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", default="5432")
    parser.add_argument("--retention-days", type=float, default=14)
    parser.add_argument("--status", help="the restore test's status file (restore-test only)")
    args = parser.parse_args()
    if args.action == "restore-test" and not args.status:
        parser.error("restore-test needs --status")
    return backup(args) if args.action == "backup" else restore_test(args)


if __name__ == "__main__":
    sys.exit(main())

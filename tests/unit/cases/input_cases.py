"""The validators' case tables and the enumeration of every role option
with a smuggled directive, shared by the unit tests and the Molecule
bad-input step (which runs them on real hosts)."""

from __future__ import annotations

import copy
import importlib
import typing as t
from pathlib import Path

import yaml

from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v

ROOT = Path(__file__).resolve().parents[3]
CASES = Path(__file__).resolve().parent
LAYERS = ("os", "docker", "postgres", "nginx", "app", "monitoring")
# What a valid value looks like where a default is empty (the injection
# test appends its directive to these).
EXAMPLES: dict[str, t.Any] = {
    "os_ssh_allow_users": ["deploy"],
    "os_ssh_allow_groups": ["admins"],
    "os_ssh_login_user": "deploy",
    "os_auto_updates_mail": "root",
    "os_sysctl_overrides": {"kernel.sysrq": 0},
    "monitoring_postgres_exporter_connection": {
        "host": "/run/postgresql",
        "port": 5432,
        "dbname": "postgres",
        "user": "prometheus",
    },
    "postgres_version": "15",
    "postgres_client_networks": ["10.0.2.0/24"],
    "postgres_ssl_cert_file": "/etc/ssl/db.crt",
    "postgres_ssl_key_file": "/etc/ssl/db.key",
    "postgres_ssl_ca_file": "/etc/ssl/ca.crt",
    "postgres_ssl_root_cert": "/etc/ssl/root.crt",
    "postgres_ssl_cert_subject_alt_names": ["DNS:db1.example.com"],
    "postgres_hba_rules": [
        {"type": "hostssl", "database": "all", "user": "monitor", "address": "10.0.3.0/24", "method": "scram-sha-256"}
    ],
    "postgres_hba_drop": ["host all all 0.0.0.0/0 trust"],
    "postgres_app_password": "Correct-Horse-Battery-4242",
    "postgres_owner_password": "Another-Strong-Passw0rd-99",
    "postgres_superusers_allowed": ["admin"],
    "postgres_storage_encryption_elsewhere": "EBS encryption",
    "nginx_acme_challenge_dir": "/srv/acme",
    "nginx_ssl_cert_file": "/etc/ssl/site.crt",
    "nginx_ssl_key_file": "/etc/ssl/site.key",
    "nginx_waf_elsewhere": "Cloudflare WAF",
    "nginx_waf_rule_exclusions": [942100],
    "nginx_server_names": ["site.example.com"],
    "docker_group_members": ["deploy"],
    "docker_daemon_userns_remap": "default",
    "docker_daemon_extra": {"data-root": "/srv/docker"},
    "docker_firewall_allow": [{"port": 8443, "proto": "tcp", "from": "10.0.0.0/8"}],
    "app_image": "registry.example/insightengine:1.4.2",
    "app_database": {
        "host": "db1.example",
        "port": 5432,
        "dbname": "insightengine",
        "user": "insightengine_app",
        "sslmode": "require",
    },
    "app_database_password": "",
    "app_database_secret_host": "db1.example",
    "app_secrets_dir": "~/.ansible/insightengine-hardening/secrets",
    "app_vault_path": "insightengine/web1",
    "app_database_host": "10.0.2.5",
    "app_services": {"worker": {"command": ["worker"]}},
    "app_environment": {"LOG_LEVEL": "info"},
    "app_secrets": {"jwt_secret": "kD93jf0Q2mZ8xv1LpR7tY4wB6nC5eH0s"},
    "app_scan_reports": {"registry.example/insightengine:1.4.2": "~/reports/insightengine.json"},
    "app_scan_waivers": {"CVE-2024-1234": {"reason": "not reachable", "approver": "sec", "expires": "2099-01-01"}},
    "app_vault_url": "https://vault.example:8200",
    "app_vault_role_id": "0f6c2b1e-8d5a-4c3b-9e7f-1a2b3c4d5e6f",
    "app_vault_secret_id": "s3cr3t-1d-aaaa-bbbb-cccc-dddd-eeee-ffff",
    "app_vault_ca_cert": "/etc/ssl/vault-ca.crt",
    "monitoring_log_host": "logs.example.com",
    "monitoring_secrets_dir": "~/.ansible/insightengine-hardening/secrets",
    "monitoring_log_peer_name": "logs.example.com",
    "monitoring_log_tls_ca_file": "/etc/ssl/log-ca.pem",
    "monitoring_log_tls_cert_file": "/etc/ssl/host.pem",
    "monitoring_log_tls_key_file": "/etc/ssl/host.key",
    "monitoring_log_tls_names": ["web1.example.com"],
    "monitoring_log_receiver_permitted_peers": ["*.example.com"],
    "monitoring_alert_webhook_url": "https://hooks.example.com/alerts",
    "monitoring_alert_email_to": "ops@example.com",
    "monitoring_auditd_extra_watches": [{"path": "/etc/insightengine", "key": "insightengine", "perm": "wa"}],
    "monitoring_alert_email_from": "alertmanager@example.com",
    "monitoring_alert_smarthost": "smtp.example.com:587",
    "monitoring_node_exporter_args": ["--collector.systemd"],
    "monitoring_fail2ban_ignoreip": ["10.0.0.0/8"],
}
DIRECTIVE = "\nMatch User root\n    PermitRootLogin yes"


def layer_module(layer: str):
    return importlib.import_module(f"ansible_collections.insightengine.hardening.plugins.module_utils._{layer}_inputs")


def options(layer: str) -> dict[str, dict[str, t.Any]]:
    spec = yaml.safe_load((ROOT / "roles" / layer / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def defaults(layer: str) -> dict[str, t.Any]:
    values = yaml.safe_load((ROOT / "roles" / layer / "defaults" / "main.yml").read_text())
    if layer == "nginx":  # the one option without a usable default
        values["nginx_server_names"] = EXAMPLES["nginx_server_names"]
    if layer == "docker":  # its default is the os layer's list, templated
        values["docker_firewall_allow"] = EXAMPLES["docker_firewall_allow"]
    if layer == "app":  # the image has no default; the rest are templated from other layers
        values.update(
            {
                name: EXAMPLES[name]
                for name in (
                    "app_image",
                    "app_database",
                    "app_database_password",
                    "app_database_secret_host",
                    "app_secrets_dir",
                    "app_vault_path",
                )
            }
        )
    if layer == "monitoring":  # templated from the inventory's groups
        values.update(
            monitoring_log_host=EXAMPLES["monitoring_log_host"],
            monitoring_log_port=2514,
            monitoring_log_receiver=False,
            monitoring_log_receiver_permitted_peers=["web1.example.com"],
            monitoring_secrets_dir=EXAMPLES["app_secrets_dir"],
            monitoring_alert_webhook_url=EXAMPLES["monitoring_alert_webhook_url"],
            monitoring_alert_pg_ddl_roles=["insightengine_app"],
            monitoring_postgres_exporter_connection={},  # the postgres layer's published settings, absent
        )
    return values


def validate(layer: str, changes: dict[str, t.Any]) -> v.Inputs:
    module = layer_module(layer)
    inputs = v.Inputs(module.SPEC, {**defaults(layer), **changes}, getattr(module, "SECRETS", ()))
    module.check(inputs)
    if hasattr(module, "check_waivers") and not inputs.errors:
        module.check_waivers(inputs, {})  # no waivers: a case with waivers is a unit test of its own
    return inputs


def table(layer: str, kind: str) -> list[dict[str, t.Any]]:
    return yaml.safe_load((CASES / f"{layer}.yml").read_text())[kind]


def injections(layer: str) -> list[tuple[str, t.Any]]:
    """For every option of the role, values that carry a directive after a
    newline (or, for free text, a terminal escape): in the option itself, in
    each list element, in each key and value of a mapping, in each field of
    a list of mappings."""
    cases: list[tuple[str, t.Any]] = []
    module = layer_module(layer)
    multiline = set(getattr(module, "MULTILINE", ()))
    base = defaults(layer)
    for name, option in options(layer).items():
        example = copy.deepcopy(EXAMPLES.get(name, base.get(name)))
        kind = option.get("type", "str")
        payload = "\x1b]0;owned\x07" if name in multiline else DIRECTIVE
        if kind in ("str", "path", "raw"):
            cases.append((name, f"{example}{payload}"))
        elif kind in ("int", "bool", "float"):
            cases.append((name, f"{str(example).lower()}{payload}"))
        elif kind == "list" and option.get("elements") == "dict":
            element = (example or [{}])[0]
            for field, value in element.items():
                if isinstance(value, (str, int)):
                    cases.append((name, [{**element, field: f"{value}{payload}"}]))
        elif kind == "list":
            first = (example or ["x"])[0]
            cases.append((name, [f"{first}{payload}"]))
        elif kind == "dict":
            example = example or {"a.b": 1}
            for key, value in example.items():
                cases.append((name, {**example, f"{key}{payload}": value}))
                cases.append((name, {**example, key: f"{value}{payload}"}))
        else:
            raise AssertionError(f"{name}: type {kind} has no injection case")
    return cases


def with_partners(name: str, value: t.Any) -> dict[str, t.Any]:
    """The variables a case sets: options that only count together with
    another one get a valid partner."""
    changes = {name: value}
    if name in ("postgres_ssl_cert_file", "postgres_ssl_key_file"):
        changes = {"postgres_ssl_cert_file": "/etc/ssl/db.crt", "postgres_ssl_key_file": "/etc/ssl/db.key", name: value}
    if name in ("monitoring_log_tls_cert_file", "monitoring_log_tls_key_file"):
        changes = {
            "monitoring_log_tls_ca_file": "/etc/ssl/log-ca.pem",
            "monitoring_log_tls_cert_file": "/etc/ssl/host.pem",
            "monitoring_log_tls_key_file": "/etc/ssl/host.key",
            name: value,
        }
    if name in ("nginx_ssl_cert_file", "nginx_ssl_key_file"):
        changes = {"nginx_ssl_cert_file": "/etc/ssl/site.crt", "nginx_ssl_key_file": "/etc/ssl/site.key", name: value}
    return changes


def bad_inputs(layer: str, on_host: bool = False) -> list[tuple[dict[str, t.Any], str]]:
    """Every case that must be refused: (variables, the name the error
    starts with); with on_host, also those only a host can refuse."""
    refused = [(case["vars"], case["error"]) for case in table(layer, "refused")]
    refused += [(with_partners(name, value), name) for name, value in injections(layer)]
    if on_host:
        refused += [(case["vars"], case["error"]) for case in table(layer, "refused_on_host")]
    return refused

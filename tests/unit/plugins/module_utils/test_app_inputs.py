"""The app role's validators (the role is not there yet): each refusal
names the place, secrets are never quoted."""

from __future__ import annotations

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils import _app_inputs as a
from ansible_collections.insightengine.hardening.plugins.module_utils._inputs import Invalid

GOOD_SECRET = "q7Vx2LmN9pR4sT8wZ1cF6hJ3kB5nD0gY"


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (a.image, "registry.example/insightengine:1.4.2\nprivileged: true"),
        (a.image, "Registry.example/UPPER:1"),
        (a.image, "insightengine:1.4.2; rm -rf /"),
        (a.memory, "256 MB"),
        (a.memory, "1m"),
        (a.memory, "unlimited"),
        (a.cpus, "half"),
        (a.cpus, 0),
        (a.cpus, True),
        (a.port, "8080:8080"),
        (a.port, "0.0.0.0:8080:99999"),
        (a.port, "localhost:8080:8080"),
        (a.user, "root"),
        (a.user, "1000:staff"),
        (a.environment, {"APP_ENV": "production\nDEBUG=true"}),
        (a.environment, {"app_env": "production"}),
        (a.environment, {"JWT_SECRET": "x" * 40}),
        (a.environment, {"DB_PASSWORD": "x" * 40}),
        (a.services, {"Web App": {}}),
        (a.services, {"web": {"privileged": "maybe"}}),
        (a.services, {"web": {"cap_add": ["SYS_EVERYTHING"]}}),
        (a.services, {"web": {"volumes": ["/:/host"]}}),
    ],
)
def test_refused(validator, value):
    with pytest.raises(Invalid):
        validator(value)


def test_accepted_and_normalised():
    assert a.memory("256M") == "256m"
    assert a.cpus("0.5") == 0.5
    assert a.port("127.0.0.1:8080:8080/tcp") == "127.0.0.1:8080:8080/tcp"
    assert a.environment({"APP_ENV": "production", "WORKERS": 4, "DEBUG": False}) == {
        "APP_ENV": "production",
        "WORKERS": "4",
        "DEBUG": "false",
    }
    services = a.services({"web": {"image": "registry.example/insightengine@sha256:" + "a" * 64, "user": "10001:10001"}})
    assert services["web"]["user"] == "10001:10001" and services["web"]["read_only"] is None


@pytest.mark.parametrize(
    "secret", ["changeme", "Passw0rd!", "short-but-random-9Xq", "x" * 40, "insightengine-example-secret-value-123"]
)
def test_weak_or_placeholder_secrets_are_refused_without_quoting_them(secret):
    problem = a.secret_problem(secret)
    assert problem and secret not in problem


def test_a_strong_secret_passes():
    assert a.secret_problem(GOOD_SECRET) is None


def test_production_values_or_a_waiver_of_app_07():
    errors = a.check_production({"APP_ENV": "staging", "SSL_ENABLED": "true", "COOKIE_SECURE": False}, waived=False)
    assert [e.split(" must", 1)[0] for e in errors] == ["app_environment.APP_ENV", "app_environment.COOKIE_SECURE"]
    assert a.check_production({"APP_ENV": "staging"}, waived=True) == []
    assert a.check_production({}, waived=False) == []  # the role's defaults are the guide's


def test_a_service_leaving_a_control_needs_its_waiver():
    services = a.services({"web": {"privileged": True, "ports": ["0.0.0.0:8080:8080"]}, "worker": {}})
    errors = a.check_deviations(services, waived=[])
    assert errors == [
        "app_services.web: privileged: true; only a waiver of APP-04 in insightengine_hardening_waivers allows it",
        "app_services.web: port 0.0.0.0:8080:8080 is not published on 127.0.0.1; "
        "only a waiver of APP-05 in insightengine_hardening_waivers allows it",
    ]
    assert a.check_deviations(services, waived=["APP-04", "APP-05"]) == []


def test_a_waiver_or_a_switched_off_control_lets_a_service_leave_it():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "cases"))
    from input_cases import defaults

    from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v

    def errors(changes, waivers):
        inputs = v.Inputs(a.SPEC, {**defaults("app"), **changes}, a.SECRETS)
        a.check(inputs)
        a.check_waivers(inputs, waivers)
        return inputs.errors

    privileged = {"app_services": {"web": {"privileged": True}}}
    assert errors(privileged, {}) and errors(privileged, {"APP-04": {"reason": "r"}}) == []
    assert errors({**privileged, "app_privileges_enabled": False}, {}) == []
    staging = {"app_environment": {"APP_ENV": "staging"}}
    assert errors(staging, {}) and errors(staging, {"APP-07": {"reason": "r"}}) == []


def test_without_trivy_the_host_is_refused_with_what_to_do():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "cases"))
    from input_cases import defaults

    from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v

    def host_errors(changes, facts):
        inputs = v.Inputs(a.SPEC, {**defaults("app"), **changes}, a.SECRETS)
        a.check(inputs)
        a.check_host(inputs, facts, {"check_mode": False})
        return inputs.errors

    image = "registry.example/insightengine:1.4.2"
    facts = {"compose": {"argv": ["docker", "compose"]}, "trivy": {"path": None}, "images_to_scan": [image]}
    (message,) = host_errors({"app_scan_reports": {}}, facts)
    assert message.startswith("Trivy is not installed and app_scan_install_trivy is false") and image in message
    assert "app_scan_reports" in message
    assert host_errors({"app_scan_install_trivy": True, "app_scan_reports": {}}, facts) == []
    assert host_errors({"app_scan_reports": {image: "~/reports/insightengine.json"}}, facts) == []  # CI scanned it
    assert host_errors({"app_scan_reports": {}}, {**facts, "trivy": {"path": "/usr/bin/trivy"}}) == []
    assert host_errors({"app_scan_reports": {}}, {**facts, "compose": None})[0].startswith("the host has no Compose")

"""The monitoring scenario's hosts and what its tests read from them: the
log host's copy of a sender's logs and the alerts the webhook receiver got."""

from __future__ import annotations

import json

import pytest
from conftest import sh, wait_for

LOGHOST = "monitoring-loghost"
SENDERS = ["monitoring-debian12", "monitoring-debian13"]
ROLE_HOSTS = [LOGHOST, *SENDERS]
WEBHOOK = "monitoring-webhook"
CONTROLS = 8


@pytest.fixture(scope="session")
def hosts() -> list[str]:
    """The hosts the role configures (the webhook receiver is not one)."""
    return ROLE_HOSTS


def received(sender: str) -> str:
    """Everything the log host stored for sender (its file is named by the DNS name of its address)."""
    return sh(LOGHOST, f"cat /var/log/remote/{sender}.*/messages.log 2>/dev/null || true").stdout


def received_alerts() -> list[dict]:
    out = sh(WEBHOOK, "cat /var/lib/webhook-alerts.jsonl 2>/dev/null || true").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def alert_arrives(name: str, host: str, since: float, timeout: float = 90) -> bool:
    def arrived() -> bool:
        return any(
            a.get("alertname") == name and a.get("host") == host and a["status"] == "firing" and a["received"] >= since
            for a in received_alerts()
        )

    return wait_for(arrived, timeout=timeout, step=2)


def webhook_clock() -> float:
    return float(sh(WEBHOOK, "date +%s.%N").stdout)

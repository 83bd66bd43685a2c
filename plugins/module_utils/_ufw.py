# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""UFW: its status and rule files, as parsed, and what a wanted rule set
means for the rules a host holds. Shared by the os and postgres layers.

Private to the collection: no API promise.
"""

from __future__ import annotations

import re
import typing as t

_UFW_RULE = re.compile(
    r"^(?P<to>.+?)\s{2,}(?P<action>ALLOW|DENY|REJECT|LIMIT)(?:\s(?P<direction>IN|OUT|FWD))?\s+"
    r"(?P<from>.+?)(?:\s+#\s(?P<comment>.*))?$"
)


def parse_ufw_status(text: str) -> dict[str, t.Any]:
    """``ufw status verbose`` output."""
    result: dict[str, t.Any] = {"active": False, "logging": None, "defaults": {}, "rules": []}
    in_rules = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("Status:"):
            result["active"] = line.split(":", 1)[1].strip() == "active"
        elif line.startswith("Logging:"):
            result["logging"] = line.split(":", 1)[1].strip()
        elif line.startswith("Default:"):
            for part in line.split(":", 1)[1].split(","):
                m = re.match(r"\s*(\S+)\s+\((\S+)\)", part)
                if m:
                    result["defaults"][m.group(2)] = m.group(1)
        elif line.startswith("--"):
            in_rules = True
        elif in_rules and line.strip():
            m = _UFW_RULE.match(line.strip())
            if not m:
                continue
            to = m.group("to").strip()
            src = m.group("from").strip()
            v6 = to.endswith("(v6)") or src.endswith("(v6)")
            to = to.replace("(v6)", "").strip()
            src = src.replace("(v6)", "").strip()
            port, _unused, proto = to.partition("/")
            result["rules"].append(
                {
                    "to": to,
                    "port": port,
                    "proto": proto or "any",
                    "action": m.group("action").lower(),
                    "direction": (m.group("direction") or "IN").lower(),
                    "from": "any" if src == "Anywhere" else src,
                    "v6": v6,
                    "comment": (m.group("comment") or "").strip() or None,
                }
            )
    return result


def ufw_allows(rules: list[dict[str, t.Any]], port: t.Any, proto: str, src: str = "any") -> bool:
    """Whether an incoming allow (or limit) rule for port/proto from src exists (IPv4)."""
    for rule in rules:
        if rule["v6"] or rule["direction"] != "in" or rule["action"] not in ("allow", "limit"):
            continue
        if str(rule["port"]) != str(port):
            continue
        if rule["proto"] not in (proto, "any"):
            continue
        if rule["from"] == src or rule["from"] == "any":
            return True
    return False


def parse_ufw_user_rules(text: str) -> list[dict[str, t.Any]]:
    """The ``### tuple ###`` lines of /etc/ufw/user.rules: every rule ufw
    holds, whether or not the firewall is active.

    ``### tuple ### allow tcp 22 0.0.0.0/0 any 10.0.0.0/8 in comment=6f73``
    reads action, protocol, destination port, destination, source port,
    source, direction[_interface], and an optional hex-encoded comment.
    """
    rules = []
    for line in text.splitlines():
        if not line.startswith("### tuple ### "):
            continue
        fields = line[len("### tuple ### ") :].split()
        if len(fields) < 7 or ":" in fields[0]:  # route rules are not incoming rules
            continue
        action, proto, dport, _dst, _sport, src, direction = fields[:7]
        comment = None
        for extra in fields[7:]:
            if extra.startswith("comment="):
                try:
                    comment = bytes.fromhex(extra[len("comment=") :]).decode("utf-8", "replace")
                except ValueError:
                    comment = None
        rules.append(
            {
                "action": action,
                "proto": proto,
                "port": dport,
                "from": "any" if src in ("0.0.0.0/0", "::/0") else src,
                "direction": direction.split("_", 1)[0],
                "comment": comment,
            }
        )
    return rules


def _rule_key(port: t.Any, proto: str, src: str, action: str) -> tuple[str, str, str, str]:
    return (str(port), proto or "any", src or "any", action)


def ufw_plan(rules: list[dict[str, t.Any]], wanted: list[dict[str, t.Any]], comment: str) -> dict[str, list[dict[str, t.Any]]]:
    """From the rules ufw holds (:func:`parse_ufw_user_rules`): wanted rules
    that are missing, and stale rules to delete (those carrying our comment
    that are no longer wanted). Rules without our comment are never stale."""
    rules = [r for r in rules if r["direction"] == "in"]
    present = {_rule_key(r["port"], r["proto"], r["from"], r["action"]) for r in rules}
    wanted_keys = set()
    missing = []
    for rule in wanted:
        key = _rule_key(rule["port"], rule.get("proto", "tcp"), rule.get("from", "any"), rule.get("rule", "allow"))
        wanted_keys.add(key)
        if key not in present:
            missing.append(rule)
    stale = [
        {"port": r["port"], "proto": r["proto"], "from": r["from"], "rule": r["action"], "comment": r["comment"]}
        for r in rules
        if (r["comment"] or "").startswith(comment)
        and _rule_key(r["port"], r["proto"], r["from"], r["action"]) not in wanted_keys
    ]
    return {"missing": missing, "stale": stale}


def port_matches(rule_port: str, port: t.Any) -> bool:
    """Whether a UFW rule's port field ("5432", "5000:6000", "80,443", "any" or empty) covers port."""
    if rule_port in ("", "any"):
        return True
    for part in str(rule_port).split(","):
        low, _sep, high = part.partition(":")
        if low.isdigit() and (high or low).isdigit() and int(low) <= int(port) <= int(high or low):
            return True
    return False


def read_status(host: t.Any) -> dict[str, t.Any] | None:
    """``ufw status verbose`` through a host reader; None without ufw."""
    ufw = host.which("ufw")
    if not ufw:
        return None
    rc, out, err = host.run(ufw, "status", "verbose")
    if rc != 0:
        return {"active": False, "error": (err or out).strip(), "defaults": {}, "rules": []}
    return parse_ufw_status(out)


def read_user_rules(host: t.Any) -> list[dict[str, t.Any]]:
    """The rules ufw added (/etc/ufw/user.rules), with their comments."""
    return parse_ufw_user_rules(host.read("/etc/ufw/user.rules") or "")

# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: secret
short_description: A generated secret kept on the controller, with tight modes, never written in check mode
version_added: 0.2.0
description:
  - Returns the secret stored in O(root)/TERM (the first line of the file). When the file does not
    exist, generates one (letters and digits from the system's CSPRNG), writes it with mode 0600 and
    returns it; O(root) and every directory below it on the way are created, or tightened, to 0700.
  - In check mode nothing is written; a missing secret is returned as a random value for that run only.
  - Unlike M(ansible.builtin.password), intermediate directories are 0700 too, and check mode writes
    no file.
options:
  _terms:
    description: Where the secret is kept, relative to O(root) (for example C(db1/postgres/app)).
    required: true
    type: list
    elements: str
  root:
    description: The secrets directory (C(~) is expanded). Created with mode 0700.
    type: path
    required: true
  length:
    description: Length of a generated secret.
    type: int
    default: 40
"""

EXAMPLES = r"""
- name: The application role's password (generated once, then reused)
  ansible.builtin.set_fact:
    app_password: "{{ lookup('insightengine.hardening.secret', inventory_hostname ~ '/postgres/app', root='~/.ansible/s') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: The secret.
  type: list
  elements: str
"""

import os
import re
import secrets
import stat
import string

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

ALPHABET = string.ascii_letters + string.digits
PART = re.compile(r"[A-Za-z0-9_.@+-]+")


def private_directory(path: str) -> None:
    """Create path (0700), or tighten it to 0700 if it is looser."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, 0o700)


def secret_path(root: str, term: str) -> tuple[str, list[str]]:
    parts = [p for p in term.split("/") if p]
    if term.startswith("/") or not parts or any(not PART.fullmatch(p) or p in (".", "..") for p in parts):
        raise AnsibleLookupError(f"secret: {term!r} is not a relative path of plain names")
    return os.path.join(root, *parts), parts


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        root = os.path.abspath(os.path.expanduser(self.get_option("root")))
        length = int(self.get_option("length"))
        if length < 16:
            raise AnsibleLookupError("secret: length must be at least 16")
        check_mode = bool((variables or {}).get("ansible_check_mode"))
        values = []
        for term in terms:
            path, parts = secret_path(root, str(term))
            try:
                with open(path, encoding="utf-8") as handle:
                    # (ansible.builtin.password appends " salt=..." when it encrypts)
                    value = handle.readline().strip().split(" salt=", 1)[0]
                if value:
                    values.append(value)
                    continue
            except FileNotFoundError:
                pass
            value = "".join(secrets.choice(ALPHABET) for _index in range(length))
            if not check_mode:
                directory = root
                os.makedirs(os.path.dirname(root), mode=0o700, exist_ok=True)
                private_directory(directory)
                for part in parts[:-1]:
                    directory = os.path.join(directory, part)
                    private_directory(directory)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(value + "\n")
                os.chmod(path, 0o600)
            values.append(value)
        return values

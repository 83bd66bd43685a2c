"""Stand-in for the get-pip script ansible-test downloads from
ci-files.testing.ansible.com, which CI machines here cannot reach.

ansible-test runs it inside each fresh sanity virtualenv with get-pip's
arguments (``pip==24.2 --no-setuptools --no-wheel``). It installs the pip
that this Python bundles (ensurepip), then has that pip install the
requested one from PyPI, as get-pip would.
"""

from __future__ import annotations

import ensurepip
import os
import runpy
import sys

ensurepip.bootstrap(upgrade=False)
# ensurepip hides pip's configuration from its own install and leaves it
# hidden; the machine's pip.conf (its CA bundle, its index) applies again.
os.environ.pop("PIP_CONFIG_FILE", None)
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.argv = [sys.argv[0], "install", *args]
runpy.run_module("pip", run_name="__main__", alter_sys=True)

# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Which PostgreSQL cluster a postgres module reads (pg_lsclusters).
    DOCUMENTATION = r"""
options:
  version:
    description:
      - The PostgreSQL major version of the cluster.
      - Empty picks the newest cluster named O(cluster_name) (or, for M(insightengine.hardening.postgres_info)
        on a host without one, the distribution's version).
    type: str
    default: ""
  cluster_name:
    description: The cluster name, as C(pg_lsclusters) lists it.
    type: str
    default: main
notes:
  - The server is read as the C(postgres) superuser over the local socket (C(runuser -u postgres -- psql)),
    so the module needs root (C(become)) and no Python database driver on the host.
"""

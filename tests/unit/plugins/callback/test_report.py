from __future__ import annotations

import pytest

from ansible_collections.insightengine.hardening.plugins.callback.report import control_ids


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("OS-02..07, OS-17 | Write the sshd drop-in", {"OS-02", "OS-03", "OS-04", "OS-05", "OS-06", "OS-07", "OS-17"}),
        ("OS-11, OS-16 | Write the kernel parameters", {"OS-11", "OS-16"}),
        ("OS-04 | Log in afresh on port 2200", {"OS-04"}),
        ("Install what the enabled controls need", set()),
        ("Mentions OS-02 but not as its prefix", set()),
    ],
)
def test_control_ids_from_task_names(name, ids):
    assert control_ids(name) == ids

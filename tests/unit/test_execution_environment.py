"""The execution-environment definition (meta/ee) and the collection's own
EE dependencies (meta/execution-environment.yml), checked by ansible-builder
itself: it reads the collection's needs, and it turns the definition into a
build context that installs this collection from its tarball with the
pinned ansible-core, ansible-runner and ansible (the collections it needs).
Building the image needs its CentOS Stream base from quay.io, which this
machine cannot reach; the context is as far as it goes here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILDER = Path(sys.executable).with_name("ansible-builder")


def pinned(name: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.strip()
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def test_ansible_builder_reads_the_collections_own_needs(tmp_path):
    (tmp_path / "ansible_collections" / "insightengine").mkdir(parents=True)
    (tmp_path / "ansible_collections" / "insightengine" / "hardening").symlink_to(ROOT)
    out = subprocess.run([str(BUILDER), "introspect", str(tmp_path)], capture_output=True, text=True, check=True).stdout
    data = yaml.safe_load(out)
    assert [line.split("#")[0].strip() for line in data["python"]] == ["cryptography>=41.0", "hvac>=2.0"]
    assert [line.split("#")[0].strip() for line in data["system"]] == [
        "openssh-clients [platform:rpm]",
        "openssh-client [platform:dpkg]",
    ]


def test_the_definition_makes_a_build_context_with_the_collection_and_its_pins(tmp_path):
    definition = ROOT / "meta" / "ee" / "execution-environment.yml"
    spec = yaml.safe_load(definition.read_text())
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    tarball = f"collections/insightengine-hardening-{version}.tar.gz"
    assert spec["dependencies"]["galaxy"]["collections"] == [{"name": tarball, "type": "file"}]
    work = tmp_path / "ee"
    shutil.copytree(definition.parent, work)
    (work / "_collections").mkdir(exist_ok=True)
    (work / "_collections" / Path(tarball).name).write_bytes(b"")  # the build would put the tarball here
    context = tmp_path / "context"
    create = ["create", "-f", str(work / "execution-environment.yml"), "-c", str(context), "--output-filename", "Dockerfile"]
    subprocess.run(
        [str(BUILDER), *create],
        capture_output=True,
        text=True,
        check=True,
    )
    dockerfile = (context / "Dockerfile").read_text()
    assert f'ARG ANSIBLE_INSTALL_REFS="{pinned("ansible-core")} ansible-runner==' in dockerfile
    assert 'ARG ANSIBLE_GALAXY_CLI_COLLECTION_OPTS="--no-deps"' in dockerfile
    assert (context / "_build" / tarball).exists()
    assert pinned("ansible") in (context / "_build" / "requirements.txt").read_text()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert galaxy["collections"] == [{"name": tarball, "type": "file"}]

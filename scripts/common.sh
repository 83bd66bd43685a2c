# Shared settings for the scripts in this folder; sourced, not run.
# shellcheck shell=bash
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VENV=${VENV:-$ROOT/.venv}
CACHE=${CACHE:-$ROOT/.cache}
IMAGE_REPO=${IMAGE_REPO:-insightengine-hardening/debian}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Debian suite -> image tag
# shellcheck disable=SC2034 # used by the scripts that source this file
declare -A SUITES=([bookworm]=12 [trixie]=13)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command from the virtualenv, with the collection importable from this
# checkout (ansible_collections/insightengine/hardening -> ROOT).
venv_env() {
  export PATH="$VENV/bin:$PATH"
  export ANSIBLE_COLLECTIONS_PATH="$CACHE/collections"
  export MOLECULE_GLOB="molecule/*/molecule.yml"
  mkdir -p "$CACHE/collections/ansible_collections/insightengine"
  ln -sfn "$ROOT" "$CACHE/collections/ansible_collections/insightengine/hardening"
}

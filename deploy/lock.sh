#!/usr/bin/env bash
# Regenerates the image's locks from pyproject.toml: every transitive dependency at an exact version,
# with the hashes of all of its files on PyPI (so one lock serves amd64 and arm64 builds).
#   deploy/requirements.lock        [project].dependencies, installed into the image's virtualenv
#   deploy/build-requirements.lock  [build-system].requires (hatchling), which builds the wheel
# Run it after changing a pin in pyproject.toml; tests/test_deploy_files.py fails until the locks agree.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install -q "uv==$UV_VERSION"

compile() {
    "$tools/bin/uv" pip compile --quiet --universal --python-version 3.11 --generate-hashes \
        --custom-compile-command deploy/lock.sh "$@"
}
compile pyproject.toml -o deploy/requirements.lock
python3 -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' |
    compile - -o deploy/build-requirements.lock

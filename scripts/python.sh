#!/usr/bin/env bash
# The Python package `atscale` (crates/atscale-py): builds its abi3 wheel with
# maturin, installs it into the project-local .venv/ with what its tests and
# examples need (crates/atscale-py/requirements-dev.txt, pinned), and runs
# its tests. Used by `make python` (part of `make test`) and CI.
#
#   scripts/python.sh build    wheel into target/wheels/, installed into .venv/
#   scripts/python.sh test     build, then pytest tests/python
#
# The wheel is built with the dev profile (opt-level 1), which the test
# build shares, and crates/atscale-py/Cargo.toml names the features the
# test build resolves (tests/e2e/docs.rs checks they agree): after `cargo
# test` only pyo3 and the package's own crate compile.
# A release wheel: `.venv/bin/maturin build --release -m crates/atscale-py/Cargo.toml`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
requirements="$root/crates/atscale-py/requirements-dev.txt"
stamp="$venv/atscale/python-requirements.txt"

. "$root/scripts/project-venv.sh"
ensure_venv "$venv" "the Python package's build and tests"

# The pinned tools, installed once per change of the requirements file.
if ! cmp -s "$requirements" "$stamp"; then
    echo "installing the Python package's build and test tools into $venv." >&2
    "$venv/bin/pip" install --disable-pip-version-check -q -r "$requirements"
    mkdir -p "$(dirname "$stamp")"
    cp "$requirements" "$stamp"
fi

build() {
    rm -f "$root"/target/wheels/atscale-*.whl
    # CARGO_TARGET_DIR: the workspace's own target/ (shared with cargo test).
    CARGO_TARGET_DIR="$root/target" "$venv/bin/maturin" build --quiet --profile dev --locked \
        -m "$root/crates/atscale-py/Cargo.toml" --out "$root/target/wheels"
    local wheels=("$root"/target/wheels/atscale-*.whl)
    if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
        echo "error: maturin built no single wheel into target/wheels/" >&2
        exit 1
    fi
    "$venv/bin/pip" install --disable-pip-version-check -q --force-reinstall --no-deps "${wheels[0]}"
    echo "installed ${wheels[0]#"$root"/} into .venv/" >&2
}

case "${1:-test}" in
    build) build ;;
    test)
        build
        # The CLI the tests compare against: the binary the e2e tests use,
        # from the test build itself (a no-op after `cargo test
        # --workspace`; `cargo build -p atscale-cli` would resolve other
        # features and compile most of the workspace again).
        cargo test --quiet --workspace --locked --no-run
        cd "$root"
        ATSCALE_BIN="$root/target/debug/atscale" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/python
        ;;
    *)
        echo "usage: scripts/python.sh [build|test]" >&2
        exit 2
        ;;
esac

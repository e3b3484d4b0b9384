#!/usr/bin/env bash
# Installs ngspice when it is missing: apt-get on Debian/Ubuntu, brew on macOS,
# otherwise says what to install. Used by `make demo`, `make test` and CI.
set -euo pipefail

if command -v ngspice >/dev/null 2>&1; then
    exit 0
fi

echo "ngspice not found; installing it." >&2
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq ngspice
elif [ "$(uname -s)" = "Darwin" ] && command -v brew >/dev/null 2>&1; then
    brew install ngspice
else
    cat >&2 <<'MSG'
error: ngspice is required and this script can only install it with apt-get
(Debian/Ubuntu) or Homebrew (macOS). Install ngspice 39 or newer with your
system's package manager (https://ngspice.sourceforge.io/download.html),
make sure `ngspice` is on PATH, then run the command again.
MSG
    exit 1
fi

if ! command -v ngspice >/dev/null 2>&1; then
    echo "error: ngspice was installed but is not on PATH" >&2
    exit 1
fi
echo "installed: $(ngspice -v 2>/dev/null | grep -m1 -i 'ngspice-' || echo ngspice)" >&2

#!/usr/bin/env bash
# Prints the free space of the folders `make test` writes to (the build
# target and the temporary folder) and warns below 4 GB: a cold
# `cargo test --workspace` target takes about 3 GB, and ngspice's raw files
# and the tests' outputs go to the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="${TMPDIR:-/tmp}"
for d in . "$tmp"; do
    avail_kb=$(df -Pk "$d" | awk 'NR == 2 { print $4 }')
    echo "disk: $(df -Ph "$d" | awk 'NR == 2 { print $4 }')B free for $(cd "$d" && pwd)"
    if [ "$avail_kb" -lt 4000000 ]; then
        echo "warning: less than 4 GB free for $(cd "$d" && pwd); tests that write files may fail with 'No space left on device'" >&2
    fi
done

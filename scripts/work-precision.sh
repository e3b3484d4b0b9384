#!/bin/sh
# The work-precision benchmark of docs/performance.md (issue 16): wall time
# against event error, the native engine (`atscale sim` as a process, and
# in-process) against `ngspice -b`, on eight reference circuits:
#
#   scripts/work-precision.sh [--only NAME] [--cap SECONDS]    # about 20 minutes
#
# Writes docs/work-precision/{runs.csv,table.md,<circuit>.png} and replaces
# the section between the work-precision markers of docs/performance.md with
# table.md. Timings are never asserted in `cargo test`; this script is not
# part of `make test`. The load average is printed before and after: a
# loaded machine inflates every time, less the ratios.
#
# Needs cargo and ngspice.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
CARGO=${CARGO:-cargo}
command -v ngspice >/dev/null || { echo "work-precision: ngspice is not on PATH (make ngspice installs it)" >&2; exit 2; }
# The atscale binary as shipped (statically linked on Linux, see
# scripts/build-release.sh) and this benchmark beside it.
ATSCALE_BIN=$(CARGO=$CARGO scripts/build-release.sh --example work_precision)
export ATSCALE_BIN
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
out=docs/work-precision
mkdir -p "$out"
"$(dirname "$ATSCALE_BIN")/examples/work_precision" "$out" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
# Only a full run replaces the table of docs/performance.md.
case " $* " in *" --only "*) exit 0 ;; esac
tmp=docs/performance.md.tmp.$$
awk -v table="$out/table.md" '
    /<!-- work-precision:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
    /<!-- work-precision:end -->/ { skip = 0 }
    !skip { print }
' docs/performance.md > "$tmp"
mv "$tmp" docs/performance.md
echo "docs/performance.md: work-precision tables replaced from $out/table.md"

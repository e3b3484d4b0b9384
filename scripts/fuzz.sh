#!/usr/bin/env bash
# Long fuzzing of the netlist, expression and raw-file readers (the test
# `fuzz::mutated_netlists_expressions_and_raw_files_never_panic_or_hang`,
# which `make test` runs for 20 s from seed 1).
#
#   scripts/fuzz.sh [SECONDS] [FIRST_SEED] [SEEDS]   # default 600 s, seed 1, one seed
#
# A failing input is saved in target/fuzz-failures/ with its seed and case.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
first="${2:-1}"
count="${3:-1}"
for seed in $(seq "$first" $((first + count - 1))); do
    ATSCALE_FUZZ_SEED="$seed" ATSCALE_FUZZ_SECONDS="$seconds" \
        cargo test --release --locked -p atscale-verify --test verify fuzz -- --nocapture
done

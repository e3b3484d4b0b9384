#!/usr/bin/env bash
# Re-records tests/corpus/outcomes.toml: runs every deck of tests/corpus/decks.toml
# through `atscale verify` (native against ngspice) exactly as the corpus test does,
# and writes what it saw. Review the diff before committing it:
#
#   scripts/corpus-record.sh && git diff tests/corpus/outcomes.toml
#
# Without UPDATE_CORPUS the same test only compares (cargo test -p atscale-cli
# --test e2e corpus). Needs ngspice on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
UPDATE_CORPUS=1 cargo test -p atscale-cli --test e2e corpus::every_corpus_deck_meets_its_recorded_outcome \
    -- --exact --nocapture

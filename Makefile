# The two commands a user runs on a fresh machine: `make demo` and `make test`.
# Both install ngspice first when it is missing.

CARGO ?= cargo
ATSCALE = $(CARGO) run --quiet --release --locked -p atscale-cli --bin atscale --
export CARGO_TERM_COLOR ?= never

.PHONY: demo test ngspice fmt lint doc unit bench

ngspice:
	@scripts/install-ngspice.sh

## demo: build atscale and run the main job on a built-in example: summarise
## the FitzHugh-Nagumo circuit, then verify its reference netlist (native
## solver against ngspice, event by event) and write the report to out/demo.
demo: ngspice
	$(ATSCALE) summary --builtin fitzhugh-nagumo
	$(ATSCALE) verify netlists/ngspice/fitzhugh_nagumo.cir --events v,1,0.5 --report out/demo --force

## test: formatting, lints, docs and the whole test suite (what CI runs).
test: ngspice fmt lint doc unit

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace --locked

unit:
	$(CARGO) test --workspace --locked

bench:
	$(CARGO) bench --workspace --locked

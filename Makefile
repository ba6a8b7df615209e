# secure-metrics-policy
#
# The two commands of the README:
#   make demo    set up, build policy.wasm, evaluate the bundled example requests
#   make check   run every test: lint, unit tests, then the e2e suite on policy.wasm;
#                where Kubewarden's kwctl and policy-server are built beside the
#                repo (../shared/bin), the e2e suite again with that kwctl and a
#                policy-server smoke test, and the release path through a local OCI
#                registry (push, pull, inspect, policy-server from registry://)
# (.ci/run runs `make check`.)

SHELL := /bin/bash
CARGO ?= cargo
WASM_TARGET := wasm32-wasip1
CRATE := secure_metrics_policy
HOST := target/release/policy-host
KWCTL ?= $(CURDIR)/$(HOST)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Kubewarden's own engines, when they are built beside the clone (CI puts
# shared/ next to it): `make check` then runs them too.
ENGINES ?= $(abspath $(CURDIR)/../shared/bin)
REAL_KWCTL := $(ENGINES)/kwctl
REAL_POLICY_SERVER := $(ENGINES)/policy-server
# The kwctl that annotates: the one beside the clone, else kwctl on PATH.
KWCTL_CLI ?= $(if $(wildcard $(REAL_KWCTL)),$(REAL_KWCTL),kwctl)
SOURCES := $(shell find src yaml-reader -name '*.rs' -o -name Cargo.toml) Cargo.toml Cargo.lock
HOST_SOURCES := $(shell find e2e-tests/host -name '*.rs' -o -name Cargo.toml)
# The manifest scanner (scanner/), on the engine of the bundled host.
SCAN := target/release/secure-metrics-scan
SCAN_SOURCES := $(shell find scanner -name '*.rs' -o -name Cargo.toml) README.md policy-metadata.yml

.PHONY: all demo check setup test e2e-tests real-engines lint fmt clean host bench fuzz scenarios \
	scanner scan-tests registry-e2e bench-scan

all: policy.wasm

## set-up: the wasm target (rustup) and the test tools (apt) where missing
setup:
	@rustup target list --installed 2>/dev/null | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@missing=""; \
	 command -v bats >/dev/null || missing="$$missing bats"; \
	 command -v jq >/dev/null || missing="$$missing jq"; \
	 command -v curl >/dev/null || missing="$$missing curl"; \
	 python3 -c 'import jsonschema' 2>/dev/null || missing="$$missing python3-jsonschema"; \
	 if [ -x "$(REAL_KWCTL)" ] && ! command -v docker-registry >/dev/null; then missing="$$missing docker-registry"; fi; \
	 if [ -n "$$missing" ]; then \
	   echo "installing$$missing with apt-get"; \
	   $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	 fi

# `cargo rustc --crate-type cdylib`: the library alone as a cdylib, so that
# the release profile's LTO applies (Cargo applies none to a library that is
# also an rlib; the rlib is for tests/ and fuzz/). LLVM's inline threshold 85
# (225 is opt-level 2's default; Cargo.toml builds this crate at 2) for this
# crate and the link-time optimisation: with LTO at opt-level 2 it saves 80 KB
# and every budgeted request but the YAML ones stays faster than the plain
# opt-level 3 build without LTO (CONTRIBUTING.md, "Size"). No loop turned
# into a call of memcpy: a copy of a length not known when compiled is
# WebAssembly's memory.copy, which wasmtime runs as a call into the runtime,
# and bytes::copy_into keeps its short loops without unsafe code.
POLICY_RUSTFLAGS := -C llvm-args=-inline-threshold=85 -C llvm-args=-disable-loop-idiom-memcpy
policy.wasm: $(SOURCES)
	$(CARGO) rustc --locked --lib --crate-type cdylib --target=$(WASM_TARGET) --release -- $(POLICY_RUSTFLAGS)
	cp target/$(WASM_TARGET)/release/$(CRATE).wasm policy.wasm

## for users who have kwctl: embed policy-metadata.yml and the README
annotated-policy.wasm: policy.wasm policy-metadata.yml README.md
	$(KWCTL_CLI) annotate -m policy-metadata.yml -u README.md -o annotated-policy.wasm policy.wasm

host: $(HOST)
$(HOST): $(HOST_SOURCES) Cargo.lock
	$(CARGO) build --locked --release -p policy-host

## command 1: with a real kwctl where one is at hand (beside the clone, else on
## PATH), so the bundled wasmtime host (the slow build) is built only where
## there is none; DEMO_KWCTL=... picks another runner
DEMO_KWCTL ?= $(or $(wildcard $(REAL_KWCTL)),$(shell command -v kwctl 2>/dev/null))
demo: setup policy.wasm
	@if [ -n "$(DEMO_KWCTL)" ]; then \
	   echo "demo: evaluating with $(DEMO_KWCTL)"; \
	   scripts/run-examples.sh "$(DEMO_KWCTL)" policy.wasm; \
	 else \
	   echo "demo: no kwctl found, building the bundled host ($(HOST))"; \
	   $(MAKE) --no-print-directory $(HOST) && scripts/run-examples.sh "$(CURDIR)/$(HOST)" policy.wasm; \
	 fi

## command 2
check: setup lint test e2e-tests scan-tests real-engines registry-e2e

test:
	$(CARGO) test --locked --workspace

e2e-tests: setup policy.wasm $(HOST)
	KWCTL="$(KWCTL)" POLICY_HOST="$(CURDIR)/$(HOST)" bats e2e-tests/

## the manifest scanner: `secure-metrics-scan`, built in release (it links
## the wasmtime build the bundled host already uses)
scanner: $(SCAN)
$(SCAN): $(SCAN_SOURCES) $(HOST_SOURCES) Cargo.lock
	$(CARGO) build --locked --release -p secure-metrics-scan

## the scanner's tests on policy.wasm (part of check; its unit tests run in `make test`)
scan-tests: setup policy.wasm $(HOST) $(SCAN)
	SCAN="$(CURDIR)/$(SCAN)" POLICY="$(CURDIR)/policy.wasm" POLICY_HOST="$(CURDIR)/$(HOST)" bats scanner/tests/

## the release path through a real OCI registry (part of check): Debian's
## docker-registry on 127.0.0.1, kwctl push / pull / inspect, and a
## policy-server loading the policy from registry://; skipped, with one line
## saying so, where $(ENGINES) does not hold kwctl and policy-server
registry-e2e: setup policy.wasm
	@if [ -x "$(REAL_KWCTL)" ] && [ -x "$(REAL_POLICY_SERVER)" ]; then \
	   set -e; \
	   "$(REAL_KWCTL)" annotate -m policy-metadata.yml -u README.md -o annotated-policy.wasm policy.wasm; \
	   scripts/registry-e2e.sh "$(REAL_KWCTL)" "$(REAL_POLICY_SERVER)" annotated-policy.wasm; \
	 else \
	   echo "registry e2e: skipped the push to a local OCI registry ($(REAL_KWCTL) and $(REAL_POLICY_SERVER) not both found)"; \
	 fi

## the real engines (part of check): the whole e2e suite with Kubewarden's
## kwctl on the annotated policy, with no bundled host to fall back on, then a
## smoke test against a policy-server on 127.0.0.1; skipped, with one line
## saying so, where $(ENGINES) does not hold both
real-engines: setup policy.wasm
	@if [ -x "$(REAL_KWCTL)" ] && [ -x "$(REAL_POLICY_SERVER)" ]; then \
	   set -e; \
	   echo "real engines: $(REAL_KWCTL) and $(REAL_POLICY_SERVER)"; \
	   "$(REAL_KWCTL)" annotate -m policy-metadata.yml -u README.md -o annotated-policy.wasm policy.wasm; \
	   KWCTL="$(REAL_KWCTL)" POLICY="$(CURDIR)/annotated-policy.wasm" \
	     POLICY_HOST=/nonexistent/no-bundled-host bats e2e-tests/; \
	   scripts/policy-server-smoke.sh "$(REAL_POLICY_SERVER)" annotated-policy.wasm; \
	 else \
	   echo "real engines: skipped the e2e suite with kwctl and the policy-server smoke test ($(REAL_KWCTL) and $(REAL_POLICY_SERVER) not both found)"; \
	 fi

## the README's certificate-mode scenario table, regenerated from policy.wasm
## (e2e-tests/scenarios.bats fails when the README and the policy disagree)
scenarios: setup policy.wasm $(HOST)
	scripts/scenarios.sh --update "$(KWCTL)" policy.wasm

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## speed and size against a parse-and-accept baseline policy (not part of
## check), both in one host process, call by call; fails when a budget of
## scripts/bench.sh is broken (ratios to the baseline; policy.wasm <= 768 KiB);
## then the context-aware rows (benches/context-aware.txt: crossObjectChecks
## true, lookups replayed from recorded sessions), printed, not gated.
## The baseline is always built with the `speed` profile (opt-level 3), and
## like policy.wasm as a cdylib alone, so that LTO applies to it too: the
## floor is the fastest parse-and-accept, built as the policy is built.
BASELINE := target/$(WASM_TARGET)/speed/baseline_policy.wasm
BASELINE_SOURCES := $(shell find benches/baseline-policy -name '*.rs' -o -name Cargo.toml)

$(BASELINE): $(BASELINE_SOURCES) Cargo.toml Cargo.lock
	$(CARGO) rustc --locked --lib --crate-type cdylib --target=$(WASM_TARGET) --profile speed -p baseline-policy

bench: setup policy.wasm $(HOST) $(BASELINE)
	scripts/bench.sh "$(CURDIR)/$(HOST)" policy.wasm $(BASELINE)

## the scanner's speed (not part of check): 1,000 objects (the examples,
## repeated) judged in one run; fails above SCAN_BUDGET_S seconds (default 10)
SCAN_BUDGET_S ?= 10
bench-scan: setup policy.wasm $(SCAN)
	scripts/bench-scan.sh "$(CURDIR)/$(SCAN)" policy.wasm $(SCAN_BUDGET_S)

## cargo-fuzz for FUZZ_SECONDS (default 600) on FUZZ_TARGET: `validate`
## (inputs kept under ~64 KB, thousands a second) or `validate_hostile`
## (objects up to 4 MB, milliseconds each); needs the nightly toolchain; seeds the
## corpus with every request fixture; prints executions per second and
## coverage at the end. No sanitizer by default (the policy is safe Rust;
## FUZZ_SANITIZER=address to add one).
FUZZ_SECONDS ?= 600
FUZZ_TARGET ?= validate
FUZZ_SANITIZER ?= none
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	@mkdir -p fuzz/corpus/$(FUZZ_TARGET) fuzz/artifacts
	@for f in $$(find test_data examples/requests benches/requests -name '*.json' ! -name '*.settings.json'); do \
	   jq -c '{request: (.request // .), settings: (.settings // {})}' "$$f" \
	     > "fuzz/corpus/$(FUZZ_TARGET)/seed-$$(echo "$$f" | tr / _)" || exit 1; \
	 done
	@find test_data/regressions -type f ! -name '*.json' -exec cp {} fuzz/corpus/$(FUZZ_TARGET)/ \; 2>/dev/null || true
	set -o pipefail; nice -n 10 $(CARGO) +nightly fuzz run -s $(FUZZ_SANITIZER) --fuzz-dir fuzz $(FUZZ_TARGET) -- \
	  -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
	  -print_final_stats=1 2>&1 | tee fuzz/artifacts/last-run.log
	@echo "fuzz $(FUZZ_TARGET): $$(grep -o 'stat::number_of_executed_units: *[0-9]*' fuzz/artifacts/last-run.log | grep -o '[0-9]*$$') executions," \
	  "$$(grep -o 'stat::average_exec_per_sec: *[0-9]*' fuzz/artifacts/last-run.log | grep -o '[0-9]*$$')/s," \
	  "$$(grep -o 'cov: [0-9]*' fuzz/artifacts/last-run.log | tail -n 1) edges, no crash"

clean:
	$(CARGO) clean
	rm -f policy.wasm annotated-policy.wasm

# The commands CI runs; `make help` lists them.
CARGO_TARGET_DIR ?= $(HOME)/.cache/fpaste-declutter/target
export CARGO_TARGET_DIR

.PHONY: help run test test-rust test-ops lint deny packages

help:
	@echo "make run    - fpasted on embedded defaults (SQLite in ./data, http://127.0.0.1:5000)"
	@echo "make test   - every test: Rust unit + integration suites, then the deployment tests"
	@echo "make lint   - rustfmt check and clippy -D warnings"
	@echo "make deny   - licenses and advisories (offline snapshot)"

run:
	cargo run --release --locked -p paste-server --bin fpasted

packages:
	.ci/install-packages

test: packages test-rust test-ops

test-rust:
	cargo nextest run --workspace --locked --no-fail-fast
	cargo test --workspace --locked --doc

test-ops:
	cargo build --locked -p paste-server --bin fpasted -p paste-cli --bin fpaste
	FPASTED=$(CARGO_TARGET_DIR)/debug/fpasted FPASTE=$(CARGO_TARGET_DIR)/debug/fpaste .ci/ops-tests/run-all.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

deny:
	.ci/deny

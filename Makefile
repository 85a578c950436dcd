# The commands CI runs; `make help` lists them.
.PHONY: help run test lint fmt deny bench

help:
	@echo "make run    - fpasted on embedded defaults (SQLite in ./data, http://127.0.0.1:5000)"
	@echo "make test   - every test in the workspace"
	@echo "make lint   - rustfmt check and clippy -D warnings"
	@echo "make deny   - licenses and advisories (offline snapshot)"

run:
	cargo run --release -p paste-server --bin fpasted

test:
	cargo nextest run --workspace --locked --no-fail-fast
	cargo test --workspace --locked --doc

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

deny:
	.ci/deny

# SarahVault — the two commands of the README, and the rest.
#   make demo    the whole story on built-in sample data
#   make test    every test
# Both install missing Debian packages themselves when run as root.

SWIFT      ?= swift
DEB_PKGS   := libsodium-dev libsqlite3-dev pkg-config sqlite3 strace
BENCH_PKGS := age
BIN        := .build/release/sarah-vault

.PHONY: all build release deps demo test interop bench fuzz lint format clean

all: build

deps:
	@./scripts/ensure-deps.sh $(DEB_PKGS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product sarah-vault

demo: release
	$(BIN) demo --dir "$${DEMO_DIR:-$$(mktemp -d /tmp/sarah-vault-demo.XXXXXX)/story}"

test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel
	@./scripts/interop.sh

# An independent Python implementation of docs/FORMAT.md (PyNaCl) decrypts and verifies
# what sarah-vault wrote: the format document is complete and true to the bytes.
interop: build
	@./scripts/interop.sh

bench: release
	@./scripts/ensure-deps.sh $(BENCH_PKGS) hyperfine
	./scripts/bench.sh
	SWIFT="$(SWIFT)" ./scripts/bench-parts.sh
	SWIFT="$(SWIFT)" ./scripts/bench-audit.sh

fuzz: deps
	./scripts/fuzz.sh

# swift-format ships with the toolchain; .swift-format holds the settings (swift-nio's).
lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format:
	$(SWIFT) format format -i -r Sources Tests Package.swift

clean:
	rm -rf .build

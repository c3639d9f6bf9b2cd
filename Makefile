# vigie — two commands: `make demo` and `make test`.
# Run as root, they install what is missing with apt; otherwise they say
# exactly what to install.

GO      ?= go
BIN     := bin/vigie
GOFLAGS ?= -buildvcs=false
export GOFLAGS

# Debian packages: what the demo needs, and what the tests need on top.
DEMO_PKGS := clickhouse-server clickhouse-client
TEST_PKGS := $(DEMO_PKGS) prometheus-alertmanager python3

.PHONY: all build demo test bench vet fmt-check deps-demo deps-test clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/vigie

demo: deps-demo build
	./$(BIN) demo $(DEMO_ARGS)

test: deps-test vet fmt-check
	$(GO) test -race -timeout 18m ./...

bench: deps-test build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s ./...
	./$(BIN) bench --n 200000 --runs 3 --analyzer pass-through
	./$(BIN) bench --n 200000 --runs 3 --analyzer full

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

deps-demo:
	@PKGS="$(DEMO_PKGS)" sh deploy/deps.sh

deps-test:
	@PKGS="$(TEST_PKGS)" sh deploy/deps.sh

clean:
	rm -rf bin .vigie-demo

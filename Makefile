# Galaxy orchestrator. `make run` builds everything and starts galaxyd -dev;
# `make test` runs the whole test suite (what CI runs).
GO      ?= go
BIN     := $(CURDIR)/bin
PKGS    := ./...
# Static binaries: the engine also goes into a FROM-scratch image.
export CGO_ENABLED ?= 0

.PHONY: all build run test test-short bench lint clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ ./cmd/galaxyd ./cmd/galaxyctl ./cmd/galaxy-engine

run: build
	$(BIN)/galaxyd -dev

# -race needs cgo.
test:
	$(GO) vet $(PKGS)
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $(PKGS)

test-short:
	$(GO) test -count=1 -short $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

clean:
	rm -rf $(BIN)

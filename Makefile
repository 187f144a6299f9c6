# Galaxy orchestrator. `make run` builds everything and starts galaxyd -dev;
# `make test` runs the whole test suite (what CI runs).
GO      ?= go
BIN     := $(CURDIR)/bin
PKGS    := ./...
# Static binaries: the engine also goes into a FROM-scratch image.
export CGO_ENABLED ?= 0

# The engine version `make image` tags (galaxy-engine:$(ENGINE_VERSION)).
ENGINE_VERSION ?= 0.1.0

.PHONY: all build run test test-short test-nomad crash-long bench image lint clean

all: build

# What `<binary> -version` and `galaxyctl version` print (internal/buildinfo); without
# git, the toolchain's record is used.
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO  := github.com/galaxy-orchestrator/galaxy/internal/buildinfo
LDFLAGS    := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(BUILD_DATE)

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/galaxyd ./cmd/galaxyctl ./cmd/galaxy-engine

run: build
	$(BIN)/galaxyd -dev

# -race needs cgo.
test:
	$(GO) vet $(PKGS)
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $(PKGS)

test-short:
	$(GO) test -count=1 -short $(PKGS)

# The integration suite against real agents: set NOMAD_ADDR (and CONSUL_HTTP_ADDR for
# Consul discovery); without them every test skips with a message.
test-nomad:
	CGO_ENABLED=1 $(GO) test -race -count=1 -tags integration -run TestIntegration -v -timeout 15m ./nomad/

# The engine image, FROM scratch: the static binary is built here and copied in, since
# no base image can be pulled.
image:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/galaxy-engine ./cmd/galaxy-engine
	docker build -t galaxy-engine:$(ENGINE_VERSION) .

# kill -9 galaxyd CRASH_KILLS times under load and check that no acknowledged write is
# lost and no turn doubled or skipped (about 0.9 s per kill); make test does 50.
CRASH_KILLS ?= 500
crash-long:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/galaxyd ./cmd/galaxy-engine ./cmd/galaxy-crash
	$(BIN)/galaxy-crash -galaxyd $(BIN)/galaxyd -engine $(BIN)/galaxy-engine \
		-kills $(CRASH_KILLS) -games 10 -timeout 20m

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

clean:
	rm -rf $(BIN)

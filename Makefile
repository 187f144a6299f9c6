# Galaxy orchestrator. `make run` builds everything and starts galaxyd -dev;
# `make test` runs the whole test suite (what CI runs).
GO      ?= go
BIN     := $(CURDIR)/bin
PKGS    := ./...
# Static binaries: the engine also goes into a FROM-scratch image.
export CGO_ENABLED ?= 0
# The Go that builds and tests everything: go1.27.3, for the standard library's
# security fixes (see "Toolchain and vulnerabilities" in the README). An installed
# older go fetches it from the module proxy once; GOTOOLCHAIN=... make overrides it.
export GOTOOLCHAIN ?= go1.27.3

# The engine version `make image` tags (galaxy-engine:$(ENGINE_VERSION)).
ENGINE_VERSION ?= 0.1.0

.PHONY: all build run test test-short test-nomad crash-long bench image lint vuln clean

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

# govulncheck, offline: the database is built here from the golang.org/x/vulndb module
# (its OSV files, laid out in the v1 format by its own cmd/indexdb) rather than fetched
# from a vulnerability service. The first run downloads both tools and the module
# through the Go module proxy (about two minutes on 2 cores); later runs take seconds.
# Not part of `make test`. Newer: `go list -m golang.org/x/vulndb@latest`.
VULNCHECK_VERSION ?= v1.9.0
VULNDB_VERSION    ?= v0.0.0-20261105234957-e22db6528018
VULNDB            := $(BIN)/vulndb/$(VULNDB_VERSION)

vuln: $(VULNDB)/index/db.json
	@$(GO) version
	$(GO) run golang.org/x/vuln/cmd/govulncheck@$(VULNCHECK_VERSION) -db file://$(VULNDB) $(PKGS)

$(VULNDB)/index/db.json:
	@mkdir -p $(BIN)/vulndb
	$(GO) mod download golang.org/x/vulndb@$(VULNDB_VERSION)
	rm -rf $(VULNDB).tmp
	$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
		-vulns "$$($(GO) list -m -f '{{.Dir}}' golang.org/x/vulndb@$(VULNDB_VERSION))/data/osv" \
		-out $(VULNDB).tmp
	mv $(VULNDB).tmp $(VULNDB)

clean:
	rm -rf $(BIN)

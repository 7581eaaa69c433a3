# hyper: two commands on a fresh Debian 12 machine:
#   make demo   installs what is needed, builds, and boots a pod
#   make test   runs every test (units, CLI scripts, VM boots, fuzzing)

SHELL      := /bin/bash
GO         ?= go
BIN        := $(CURDIR)/bin
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS    := -X github.com/hyperbuild/hyper/internal/version.Version=$(VERSION)
FUZZTIME   ?= 10s
export HYPER_HYPERSTART := $(BIN)/hyperstart

# Debian packages the tools and the tests need.
DEBS := qemu-system-x86 qemu-utils linux-source-6.1 busybox-static ovmf \
        systemd-boot-efi build-essential flex bison bc libelf-dev libssl-dev \
        cpio xz-utils zstd e2fsprogs dosfstools mtools fdisk gdisk curl \
        syslinux syslinux-common \
        linux-image-cloud-amd64

.PHONY: all deps build kernel test test-go test-kvm fuzz demo bench lint clean

all: build

## deps: install the Debian packages (idempotent; instant when present)
deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else echo "deps: all $(words $(DEBS)) packages present"; fi
	@$(GO) mod download

## build: bin/hyperbuild, bin/hyperboot, bin/hyperd and bin/hyperstart (static, for the guest)
build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/hyperbuild ./cmd/hyperbuild
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/hyperboot ./cmd/hyperboot
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/hyperd ./cmd/hyperd
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' -o $(BIN)/hyperstart ./cmd/hyperstart

## kernel: build the hyperkernel once (about 12 minutes on 2 cores), cached by its inputs
kernel: build
	$(BIN)/hyperbuild kernel

## test: everything CI runs
test: build kernel test-go fuzz test-kvm

test-go:
	$(GO) test -count=1 ./...

## fuzz: each fuzz target for $(FUZZTIME); fails only on a real finding
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

## test-kvm: the KVM backend booting a pod, with exec and logs through its agent, web.hcl's published port, a host directory shared both ways and a data volume across reboots, under nested virtualization (needs QEMU)
test-kvm:
	@if command -v qemu-system-x86_64 >/dev/null; then \
		log=$$(mktemp); \
		HYPER_NESTED=1 $(GO) test -count=1 -timeout 30m -run 'Nested' -v ./runner/kvm/ >$$log 2>&1; st=$$?; \
		if [ $$st -eq 0 ]; then grep -E '^(--- |ok|PASS)|nested_test.go:[0-9]+: (nested|VMM|whole)' $$log; \
		else cat $$log; fi; rm -f $$log; exit $$st; \
	else echo "test-kvm: skipped: qemu-system-x86_64 not installed (make deps)"; fi

## demo: build a pod offline and boot it
demo: deps build kernel
	./scripts/demo.sh

## bench: one table of measured figures, each beside its baseline
bench: build kernel
	$(GO) run ./internal/cmd/bench -o bench/results.json

## lint: gofmt, go vet, go mod tidy
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@cp go.mod /tmp/go.mod.bak; cp go.sum /tmp/go.sum.bak; $(GO) mod tidy; \
	if ! diff -q go.mod /tmp/go.mod.bak >/dev/null || ! diff -q go.sum /tmp/go.sum.bak >/dev/null; then \
		echo "go mod tidy changes go.mod/go.sum"; cp /tmp/go.mod.bak go.mod; cp /tmp/go.sum.bak go.sum; exit 1; fi

clean:
	rm -rf $(BIN)

# chaincodekit — every target works on a fresh machine with only Go installed.
GO          ?= go
PKGS        := $(shell $(GO) list ./... | grep -v /integration)
INTEGRATION := $(shell find integration -name '*_suite_test.go' 2>/dev/null | xargs -r -n1 dirname | sort -u)
BIN         := bin

.PHONY: all build test unit integration lint vet bench demo clean

all: build

## build: compile every package and the peersim binary into ./bin
build:
	$(GO) build ./...
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/peersim ./peersim/cmd/peersim

## test: lint, unit tests with -race, then the Ginkgo end-to-end suites
test: lint unit integration

## unit: unit tests of every package (race detector on)
unit:
	$(GO) test -race -count=1 $(PKGS)

## integration: the Ginkgo suites under integration/, in parallel
integration:
	$(GO) tool ginkgo -p -race --fail-on-pending --keep-going $(INTEGRATION)

## lint: gofmt, go vet and staticcheck must all be clean
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck ./...

vet:
	$(GO) vet ./...

## bench: benchmarks, each compared with its baseline in the same run
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## demo: start peersim, deploy samples, invoke and query them (see scripts/demo.sh)
demo:
	scripts/demo.sh

clean:
	rm -rf $(BIN)

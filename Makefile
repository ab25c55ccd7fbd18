# ward's build and test entry points. `make test` is the one test command:
# on a fresh Debian machine it installs what the tests need, then runs
# formatting and static checks, unit tests, integration tests (root,
# network namespaces, PostgreSQL, OCF and fence agents), brief fuzzing and
# the Pacemaker conformance corpus.

GO ?= go
BIN := bin/ward

.PHONY: build test deps check unit integration fuzz conformance demo clean

build:
	$(GO) build -o $(BIN) ./cmd/ward

deps:
	scripts/deps.sh

check:
	scripts/check.sh

unit:
	$(GO) test -count=1 ./...

integration: build
	$(GO) test -count=1 -tags integration -timeout 15m ./...

fuzz:
	scripts/fuzz.sh 10s

conformance: build
	scripts/conformance.sh

test: deps build check unit integration fuzz conformance

clean:
	rm -rf bin

demo: build
	$(BIN) demo

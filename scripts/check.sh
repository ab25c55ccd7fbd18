#!/usr/bin/env bash
# gofmt, go vet and staticcheck over the whole module; any finding fails.
set -euo pipefail
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting (run gofmt -w):" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go vet -tags integration ./...
sc=staticcheck
command -v staticcheck >/dev/null 2>&1 || sc="$(go env GOPATH)/bin/staticcheck"
"$sc" ./...
"$sc" -tags integration ./...
echo "check: gofmt, vet, staticcheck clean"

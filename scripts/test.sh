#!/usr/bin/env bash
# make test: vet, staticcheck (pinned; scripts/staticcheck.sh installs it),
# unit tests, integration tests against a private Docker engine (started here
# unless DOCKER_HOST already points at one) and a private image registry
# (scripts/registry.sh), and a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

go vet ./...
go vet -tags integration ./...
scripts/staticcheck.sh
go test -race -count=1 ./...   # the lint runner and once's executor are concurrent
scripts/registry.sh run scripts/engine.sh run go test -tags integration -count=1 -timeout 10m ./...
scripts/fuzz.sh "${FUZZTIME:-5s}"

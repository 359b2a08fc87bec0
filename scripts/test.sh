#!/usr/bin/env bash
# make test: vet, staticcheck (pinned; scripts/staticcheck.sh installs it),
# promtool on the monitoring pack, unit tests, integration tests against private Docker engines and a private
# image registry (scripts/registry.sh), and a short run of every fuzz target.
#
# The integration suite runs once per engine in ENGINES (default: 20.10 28
# newest, one after another; scripts/engine.sh builds 28 and newest into a
# cache the first time). With DOCKER_HOST set and ENGINES unset it runs once,
# against that engine.
set -euo pipefail
cd "$(dirname "$0")/.."

go vet ./...
go vet -tags integration ./...
scripts/staticcheck.sh
# The monitoring pack: its alerting rules load and pass their unit tests
# (promtool: Debian's prometheus package; .ci/run installs it).
promtool check rules examples/monitoring/alerts.yaml
promtool test rules examples/monitoring/alerts_test.yaml
go test -race -count=1 ./...   # the lint runner and once's executor are concurrent
if [ -n "${DOCKER_HOST:-}" ] && [ -z "${ENGINES:-}" ]; then
	scripts/registry.sh run scripts/engine.sh run go test -tags integration -count=1 -timeout 10m ./...
else
	for engine in ${ENGINES:-20.10 28 newest}; do
		echo "test.sh: integration tests on ENGINE=$engine" >&2
		start=$SECONDS
		# Each engine is its own: never the DOCKER_HOST of the caller.
		env -u DOCKER_HOST ENGINE="$engine" scripts/registry.sh run scripts/engine.sh run \
			go test -tags integration -count=1 -timeout 10m ./...
		echo "test.sh: ENGINE=$engine integration tests took $((SECONDS - start))s" >&2
	done
fi
scripts/fuzz.sh "${FUZZTIME:-5s}"

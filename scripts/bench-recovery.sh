#!/usr/bin/env bash
# Recovery time on a real engine: N sick containers that each take S seconds
# to stop, restarted by one round of docker heal once with --concurrency C.
# Prints the measured time next to S×ceil(N/C) (parallel) and N×S (serial).
#
#   scripts/bench-recovery.sh [N] [S] [C]     defaults: 8 2 4
#
# Uses the private test engine (scripts/engine.sh), or DOCKER_HOST's if set.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_N=${1:-8} BENCH_S=${2:-2} BENCH_C=${3:-4}
exec scripts/engine.sh run go test -tags integration -count=1 -run '^$' \
	-bench '^BenchmarkOnceRecovery$' -benchtime 1x -timeout 10m ./commands/

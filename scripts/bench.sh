#!/usr/bin/env bash
# make bench: Go benchmarks (rule sets, loaders, status and once over fake
# engines), then a whole-process lint of the corpus, timed.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${DOCKER_HEAL_CORPUS:-$(cd .. && pwd)/shared/corpus}

go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-5x}" ./... 2>/dev/null | grep -E '^(Benchmark|ok|pkg:)'

make -s build >/dev/null
if [ -d "$corpus" ]; then
  files=$(bin/docker-heal lint --fail-on none --format json "$corpus" 2>/dev/null | grep -o '"files": [0-9]*' | grep -o '[0-9]*$')
  best=""
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    bin/docker-heal lint --fail-on none "$corpus" >/dev/null 2>&1
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  awk -v n="$files" -v ms="$best" 'BEGIN { printf "whole process: docker-heal lint %s: %d files in %d ms (%.2f ms/file, best of 5)\n", "corpus", n, ms, ms / n }'
fi

# Findings per rule on the same corpus (precision is tracked with speed).
if [ -d "$corpus" ]; then
  scripts/corpus-stats.sh "$corpus" bin/docker-heal
fi

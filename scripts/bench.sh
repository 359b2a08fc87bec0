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

# Image lookups: the same lint with --image-config off, and with the default
# engine mode where no engine runs (DOCKER_HOST on a socket that does not
# exist: what a CI runner without Docker pays). Best of 5 wall time, and the
# CPU time (user+sys) of that run. The warm-cache registry mode is
# BenchmarkLintCorpusImages above (no network here to fill a cache from).
if [ -d "$corpus" ]; then
  cachedir=$(mktemp -d)
  trap 'rm -rf "$cachedir"' EXIT
  for mode in off engine; do
    best="" cpu=""
    for _ in 1 2 3 4 5; do
      t0=$(date +%s%N)
      /usr/bin/time -o "$cachedir/time" -f '%U %S' env DOCKER_HOST=unix:///nonexistent/docker.sock XDG_CACHE_HOME="$cachedir" \
        bin/docker-heal lint --image-config "$mode" --fail-on none "$corpus" >/dev/null 2>&1
      c=$(tail -1 "$cachedir/time")
      t1=$(date +%s%N)
      ms=$(( (t1 - t0) / 1000000 ))
      if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms cpu=$c; fi
    done
    awk -v m="$mode" -v ms="$best" -v c="$cpu" 'BEGIN { split(c, u, " "); printf "image lookups: lint --image-config %-6s no engine: %d ms wall, %d ms CPU (best of 5)\n", m, ms, (u[1] + u[2]) * 1000 }'
  done
fi

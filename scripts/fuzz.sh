#!/usr/bin/env bash
# Run every Go fuzz target in the module for a short time each: fuzz.sh DURATION
#
# A failure with a failing input (go writes it under testdata/fuzz/ and says
# "Failing input written to") fails the run. Go's fuzzing coordinator can
# also end a run with a bare "context deadline exceeded" when -fuzztime runs
# out while a worker is busy, with no input to show (seen on a loaded
# 2-core machine); such a run is tried once more, and fails the second time.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    for try in 1 2; do
      echo "fuzz: $pkg $target for $dur"
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" "$pkg" 2>&1 | tee "$out"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
        break
      fi
      if [ "$try" = 1 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
        echo "fuzz: $target ended on the fuzzing deadline with no failing input; once more"
        continue
      fi
      exit 1
    done
  done
done

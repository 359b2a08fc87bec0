#!/usr/bin/env bash
# Findings per rule and per file over a folder of real compose files and
# Dockerfiles, read from `docker heal lint --format json`.
#   scripts/corpus-stats.sh [PATH] [BINARY]
#   PATH defaults to ../shared/corpus, BINARY to bin/docker-heal (built if missing).
# Prints "rule count" lines, then "files N findings M median-per-file X",
# then the per-file counts under "# per file" when PER_FILE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
bin=${2:-bin/docker-heal}
[ -e "$corpus" ] || { echo "corpus-stats: $corpus does not exist (from $PWD): name the folder to lint" >&2; exit 2; }
command -v jq >/dev/null || { echo "corpus-stats: jq is needed" >&2; exit 2; }
[ -x "$bin" ] || make -s build >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# --fail-on none: any non-zero exit means lint could not run.
"$bin" lint --format json --fail-on none "$corpus" >"$out" 2>/dev/null || { echo "corpus-stats: lint failed" >&2; exit 2; }
echo "# findings per rule"
jq -r '.findings | group_by(.rule) | map("\(.[0].rule) \(length)") | .[]' "$out" | sort -k2,2nr -k1,1
echo "# totals"
jq -r '(.findings | group_by(.file) | map(length) | sort) as $per
  | "files \(.summary.files) findings \(.findings | length) (error \(.summary.error), warning \(.summary.warning), info \(.summary.info))",
    "files with findings \($per | length), median per such file \(if ($per|length) > 0 then $per[(($per|length)/2|floor)] else 0 end), max \($per[-1] // 0)"' "$out"
if [ "${PER_FILE:-0}" = 1 ]; then
  echo "# per file"
  jq -r '.findings | group_by(.file) | map("\(length) \(.[0].file)") | .[]' "$out" | sort -k1,1nr -k2,2
fi

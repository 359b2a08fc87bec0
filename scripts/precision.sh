#!/usr/bin/env bash
# Lint whole real projects as a user would and write every finding as one JSON line,
# for the precision measurement in docs/precision.md.
#   scripts/precision.sh PROJECTS_DIR LIST [BINARY] > findings.jsonl
#   scripts/precision.sh --sample findings.jsonl > sample.jsonl
# LIST holds lines "owner/name commit subdir [lint args...]"; any other line is ignored,
# so docs/precision.md itself can be the list. Each project is expected in
# PROJECTS_DIR/owner+name (the tree at that commit, e.g. from `git archive`); when it is
# missing it is fetched from GitHub at that commit (a shallow fetch of one commit).
# For each line the script runs, from PROJECTS_DIR/owner+name/subdir,
#   BINARY lint --format json --fail-on none [lint args...]
# and prints each finding with repo, commit, dir, args and path (the file relative to
# the project root) added. A summary line per run goes to stderr.
# BINARY defaults to bin/docker-heal (built if missing). Needs jq.
set -euo pipefail

# --sample: the stratified sample judged in docs/precision.md. Per rule, findings are
# ranked inside each project by sha1("rule:repo:path:line:subject"), then taken round-robin
# over the projects (sorted by name) until the rule's quota: every finding of the rare
# rules, 10 to 20 of the frequent ones. Same findings in, same sample out.
if [ "${1:-}" = --sample ]; then
	[ $# -eq 2 ] || { echo "usage: $0 --sample findings.jsonl" >&2; exit 2; }
	command -v jq >/dev/null || { echo "precision: jq is needed" >&2; exit 2; }
	export LC_ALL=C
	# One JSON line has no raw tab, so the original line can ride along as the last field.
	jq -r '[.rule, .repo, "\(.rule):\(.repo):\(.path):\(.line):\(.subject)"] | @tsv' "$2" |
		while IFS=$'\t' read -r rule repo key; do
			sum=$(printf '%s' "$key" | sha1sum)
			printf '%s\t%s\t%s\n' "$rule" "$repo" "${sum%% *}"
		done | paste - "$2" |
		sort -t $'\t' -k1,1 -k2,2 -k3,3 |
		awk -F '\t' -v OFS='\t' '{ if ($1 != r || $2 != p) { n = 0; r = $1; p = $2 }; print $1, sprintf("%06d", n++), $2, $4 }' |
		sort -t $'\t' -k1,1 -k2,2 -k3,3 |
		awk -F '\t' '
			BEGIN {
				q["depends-on-no-healthcheck"] = 99; q["shell-wrapper-no-exec"] = 99
				q["docker-socket-mounted"] = 99; q["restart-on-failure-unbounded"] = 99
				q["unhealthy-not-acted-on"] = 12; q["restart-always"] = 10; q["restart-policy-missing"] = 12
				q["user-root"] = 20; q["image-unpinned"] = 12; q["healthcheck-missing"] = 16; q["init-missing"] = 16
				q["stop-grace-period-short"] = 99; q["startup-sleep"] = 99; q["default-credentials"] = 99
				q["port-published-all-interfaces"] = 99
			}
			{ quota = ($1 in q) ? q[$1] : 10; if (taken[$1]++ < quota) print $4 }'
	exit 0
fi
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 PROJECTS_DIR LIST [BINARY]" >&2; exit 2; }
root=$(cd "$1" && pwd)
list=$2
bin=${3:-$here/bin/docker-heal}
command -v jq >/dev/null || { echo "precision: jq is needed" >&2; exit 2; }
if [ ! -x "$bin" ]; then (cd "$here" && make -s build >/dev/null); fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

checkout() { # repo commit dest
	local repo=$1 commit=$2 dest=$3 tmp
	tmp=$(mktemp -d)
	git -C "$tmp" init -q
	git -C "$tmp" fetch -q --depth 1 "https://github.com/$repo" "$commit"
	mkdir -p "$dest"
	git -C "$tmp" archive FETCH_HEAD | tar -x -C "$dest"
	rm -rf "$tmp"
}

grep -E '^ *[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]* [0-9a-f]{40} ' "$list" |
	while read -r repo commit dir args; do
		dest=$root/${repo/\//+}
		[ -d "$dest" ] || checkout "$repo" "$commit" "$dest" </dev/null
		# Word-splitting of args is wanted: they are lint flags and paths without spaces.
		# shellcheck disable=SC2086
		out=$(cd "$dest/$dir" && "$bin" lint --format json --fail-on none $args </dev/null 2>/dev/null) || {
			echo "precision: $repo $dir $args: lint could not run" >&2
			continue
		}
		jq -c --arg repo "$repo" --arg commit "$commit" --arg dir "$dir" --arg args "$args" \
			'.findings[] | {repo: $repo, commit: $commit, dir: $dir, args: $args,
			  path: (if $dir == "." then .file else ($dir + "/" + .file) end)} + .' <<<"$out"
		jq -r --arg repo "$repo" --arg dir "$dir" --arg args "$args" \
			'"\($repo) \($dir) \($args): \(.findings | length) findings, \(.notChecked // [] | length) checks not run"' <<<"$out" >&2
	done

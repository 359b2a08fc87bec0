#!/usr/bin/env bash
# staticcheck at a pinned version, installed with `go install` into bin/tools
# when missing or at another version; fails on any finding (plain and with
# the integration tag).
set -euo pipefail
cd "$(dirname "$0")/.."
version=v0.8.2 # staticcheck 2026.2.2, the first release that reads Go 1.26
tools=$PWD/bin/tools
if ! "$tools/staticcheck" -version 2>/dev/null | grep -q "(${version#v})"; then
  echo "installing staticcheck $version into $tools" >&2
  GOBIN=$tools go install "honnef.co/go/tools/cmd/staticcheck@$version"
fi
"$tools/staticcheck" ./...
"$tools/staticcheck" -tags integration ./...

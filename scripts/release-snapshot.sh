#!/usr/bin/env bash
# make release-snapshot: every release archive and checksums.txt in dist/,
# built by goreleaser at a pinned version, offline (--snapshot publishes
# nothing). goreleaser is installed into bin/ with go install, once.
set -euo pipefail
cd "$(dirname "$0")/.."

# v2.16.0 is the newest goreleaser that builds with Go 1.26 and whose
# dependencies the module proxy serves (v2.17's go-msix answers 403).
GORELEASER_VERSION=v2.16.0
goreleaser=bin/goreleaser
if ! "$goreleaser" --version 2>/dev/null | grep -Eq "GitVersion: *v?${GORELEASER_VERSION#v}$"; then
	echo "release-snapshot: installing goreleaser $GORELEASER_VERSION into bin/ (go install, once; it is big)"
	GOBIN="$PWD/bin" GOFLAGS= go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
fi

skip=()
if ! docker buildx version >/dev/null 2>&1; then
	echo "release-snapshot: no docker buildx here: the image is skipped (archives and checksums only)"
	skip=(--skip=docker)
fi
"$goreleaser" release --snapshot --clean "${skip[@]}"

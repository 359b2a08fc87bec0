#!/usr/bin/env bash
# Build a newer Docker Engine from the Go module proxy into a cache outside
# the work tree, for scripts/engine.sh (ENGINE=28, ENGINE=newest).
#
#   scripts/engine-build.sh 28       print the folder holding dockerd
#   scripts/engine-build.sh newest   the same; the folder also holds runc
#
# The cache is ${XDG_CACHE_HOME:-~/.cache}/docker-heal/engines/<version>/,
# with a `stamp` file naming the version built: a folder whose stamp matches is
# reused, anything else is rebuilt. A build goes to a temporary folder next to
# it and is renamed into place, so a killed build leaves nothing half-made.
# Builds run under `nice` (CI machines are shared). Needs go, and for newest
# gcc and libseccomp-dev (runc is built with cgo and the seccomp tag).
#
# ENGINE=28      github.com/docker/docker v28.5.2 (API 1.51), its vendor.mod
#                as go.mod; runs with the machine's containerd and runc
#                (Debian's docker.io: containerd 1.6, runc 1.1).
# ENGINE=newest  github.com/moby/moby/v2 v2.0.0-beta.24 (API 1.56), plus runc
#                v1.3.3 (the time namespace and seccomp it asks for), which
#                engine.sh puts first on dockerd's PATH.
set -euo pipefail

die() { echo "engine-build.sh: $*" >&2; exit 2; }

# The versions; engine.sh and the README name the same.
ENGINE28_MODULE=github.com/docker/docker
ENGINE28_VERSION=v28.5.2+incompatible
NEWEST_MODULE=github.com/moby/moby/v2
NEWEST_VERSION=v2.0.0-beta.24
RUNC_MODULE=github.com/opencontainers/runc
RUNC_VERSION=v1.3.3

cache_root() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/docker-heal/engines"; }

# module_dir MODULE@VERSION: download it (no-op when cached), print its folder.
module_dir() {
	local dir
	dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -n "$dir" ] && [ -d "$dir" ] || die "go mod download $1 gave no folder"
	echo "$dir"
}

# copy_module MODULE@VERSION DEST: a writable copy of the module's source.
copy_module() {
	local src
	src=$(module_dir "$1")
	mkdir -p "$2"
	cp -R "$src/." "$2/"
	chmod -R u+w "$2"
}

build_28() {
	local out=$1 src=$2
	copy_module "$ENGINE28_MODULE@$ENGINE28_VERSION" "$src"
	# The docker/docker module has no go.mod of its own at v28: its
	# dependencies are in vendor.mod/vendor.sum.
	cp "$src/vendor.mod" "$src/go.mod"
	cp "$src/vendor.sum" "$src/go.sum"
	rm -rf "$src/vendor"
	local v=${ENGINE28_VERSION#v}
	v=${v%+incompatible}
	(cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath \
		-ldflags "-X github.com/docker/docker/dockerversion.Version=$v -X github.com/docker/docker/dockerversion.GitCommit=module" \
		-o "$out/dockerd" ./cmd/dockerd)
	(cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath -o "$out/docker-proxy" ./cmd/docker-proxy)
}

build_newest() {
	local out=$1 src=$2
	copy_module "$NEWEST_MODULE@$NEWEST_VERSION" "$src/moby"
	rm -rf "$src/moby/vendor"
	(cd "$src/moby" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath \
		-ldflags "-X github.com/moby/moby/v2/dockerversion.Version=${NEWEST_VERSION#v} -X github.com/moby/moby/v2/dockerversion.GitCommit=module" \
		-o "$out/dockerd" ./cmd/dockerd)
	(cd "$src/moby" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath -o "$out/docker-proxy" ./cmd/docker-proxy)
	copy_module "$RUNC_MODULE@$RUNC_VERSION" "$src/runc"
	# runc's go.mod replaces one module with a local folder that the module
	# zip does not carry; build against the published one instead.
	sed -i '/^replace /d' "$src/runc/go.mod"
	rm -rf "$src/runc/vendor"
	command -v gcc >/dev/null 2>&1 || die "runc needs gcc (apt-get install gcc libseccomp-dev)"
	(cd "$src/runc" && GOFLAGS=-mod=mod CGO_ENABLED=1 nice go build -trimpath -tags seccomp \
		-ldflags "-X main.version=${RUNC_VERSION#v}" -o "$out/runc" .)
}

# stamp_of ENGINE: the text the stamp file holds for a complete build.
stamp_of() {
	case "$1" in
	28) echo "$ENGINE28_MODULE@$ENGINE28_VERSION" ;;
	newest) echo "$NEWEST_MODULE@$NEWEST_VERSION $RUNC_MODULE@$RUNC_VERSION" ;;
	*) die "unknown engine $1 (28 or newest)" ;;
	esac
}

version_of() {
	case "$1" in
	28) echo "${ENGINE28_VERSION%+incompatible}" ;;
	newest) echo "$NEWEST_VERSION" ;;
	esac
}

main() {
	local engine=${1:-}
	[ -n "$engine" ] || die "usage: engine-build.sh 28|newest"
	local want final
	want=$(stamp_of "$engine")
	final=$(cache_root)/$(version_of "$engine")
	if [ -f "$final/stamp" ] && [ "$(cat "$final/stamp")" = "$want" ] && [ -x "$final/dockerd" ]; then
		echo "$final"
		return 0
	fi
	command -v go >/dev/null 2>&1 || die "go is not on PATH"
	mkdir -p "$(cache_root)"
	local start=$SECONDS
	# Global: the EXIT trap runs after main returns.
	build_tmp=$(mktemp -d "$(cache_root)/.build-$engine.XXXXXX")
	# The source copy is large; it goes away whatever happens.
	trap 'rm -rf "$build_tmp"' EXIT
	local tmp=$build_tmp
	echo "engine-build.sh: building engine $engine ($want) into $final" >&2
	mkdir -p "$tmp/out" "$tmp/src"
	"build_$engine" "$tmp/out" "$tmp/src"
	echo "$want" >"$tmp/out/stamp"
	rm -rf "$final.old"
	[ -e "$final" ] && mv "$final" "$final.old"
	mv "$tmp/out" "$final"
	rm -rf "$final.old"
	echo "engine-build.sh: built engine $engine in $((SECONDS - start))s" >&2
	echo "$final"
}

main "$@"

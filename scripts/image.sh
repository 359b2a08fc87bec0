#!/usr/bin/env bash
# Build the docker-heal image from bin/docker-heal (`make build` makes it) on
# the engine DOCKER_HOST points to, offline: the Dockerfile is FROM scratch
# and the CA certificates are the build host's.
#
#   IMAGE=docker-heal:dev scripts/image.sh
set -euo pipefail

IMAGE=${IMAGE:-docker-heal:dev}
CA_CERTS=${CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
root=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "image.sh: $*" >&2; exit 2; }

[ -x "$root/bin/docker-heal" ] || die "bin/docker-heal is missing: run make build first"
[ -r "$CA_CERTS" ] || die "no CA certificates at $CA_CERTS (install Debian's ca-certificates, or set CA_CERTS)"
command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed"
if file "$root/bin/docker-heal" 2>/dev/null | grep -q "dynamically linked"; then
	die "bin/docker-heal is dynamically linked; build it with CGO_ENABLED=0 (make build does)"
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$root/Dockerfile" "$ctx/Dockerfile"
platform=linux/$(go env GOARCH 2>/dev/null || uname -m)
mkdir -p "$ctx/$platform"
cp "$root/bin/docker-heal" "$ctx/$platform/docker-heal"
cp "$CA_CERTS" "$ctx/ca-certificates.crt"
# The classic builder needs no BuildKit session; either works for FROM scratch.
# Its deprecation notice is noise here; the log is shown when the build fails.
if ! DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build --quiet --tag "$IMAGE" --build-arg TARGETPLATFORM="$platform" \
	--label org.opencontainers.image.source=https://github.com/docker-heal/docker-heal \
	--label org.opencontainers.image.version="$("$root/bin/docker-heal" version | awk '{print $2}')" \
	"$ctx" >"$ctx.log" 2>&1; then
	cat "$ctx.log" >&2
	rm -f "$ctx.log"
	die "docker build failed"
fi
rm -f "$ctx.log"
echo "image.sh: built $IMAGE" >&2

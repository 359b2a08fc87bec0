#!/usr/bin/env bash
# make release-test: check what make release-snapshot left in dist/: the
# seven archives named by uname -s/uname -m, checksums.txt that verifies,
# and a linux binary for this machine that runs `version`.
set -euo pipefail
cd "$(dirname "$0")/../dist"

want=(
	docker-heal_Linux_x86_64.tar.gz
	docker-heal_Linux_aarch64.tar.gz
	docker-heal_Linux_armv7l.tar.gz
	docker-heal_Darwin_x86_64.tar.gz
	docker-heal_Darwin_arm64.tar.gz
	docker-heal_Windows_x86_64.zip
	docker-heal_Windows_arm64.zip
)
fail=0
for a in "${want[@]}" checksums.txt; do
	[[ -f $a ]] || { echo "release-check: dist/$a is missing"; fail=1; }
done
got=$(ls docker-heal_*.tar.gz docker-heal_*.zip | sort)
if [[ $got != "$(printf '%s\n' "${want[@]}" | sort)" ]]; then
	echo "release-check: archives differ from the seven expected:"; echo "$got"; fail=1
fi
# Every archive is in checksums.txt, and every sum verifies.
for a in "${want[@]}"; do
	grep -q "  $a\$" checksums.txt || { echo "release-check: $a not in checksums.txt"; fail=1; }
done
sha256sum --check --strict checksums.txt || fail=1

# The archive this machine picks by uname runs.
arch=$(uname -s)_$(uname -m)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "docker-heal_$arch.tar.gz" -C "$tmp"
out=$("$tmp/docker-heal" version)
echo "release-check: docker-heal_$arch.tar.gz: $out"
[[ $out == "docker-heal "*"-next ("* ]] || { echo "release-check: version does not show the snapshot version"; fail=1; }
for a in "${want[@]}"; do
	case $a in
	*.tar.gz) tar -tzf "$a" | grep -qx docker-heal || { echo "release-check: $a has no docker-heal"; fail=1; } ;;
	*.zip) unzip -l "$a" | grep -q ' docker-heal.exe$' || { echo "release-check: $a has no docker-heal.exe"; fail=1; } ;;
	esac
done
exit $fail

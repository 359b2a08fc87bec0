#!/usr/bin/env bash
# A private Docker engine for the integration tests.
#
#   scripts/engine.sh start      start it, print `export DOCKER_HOST=unix://...`
#   scripts/engine.sh env        print the export line of a running one
#   scripts/engine.sh stop       stop the one `start` started, remove its folder
#   scripts/engine.sh restart    stop it and start it again, keeping its data
#                                (containers, images): an engine upgrade or crash
#   scripts/engine.sh run CMD... run CMD with DOCKER_HOST set: reuse the engine
#                                DOCKER_HOST already points at, or start one and
#                                stop it afterwards; exits with CMD's code
#
# Everything lives under ENGINE_DIR (default /tmp/docker-heal-engine for
# start/stop/env, a fresh temporary folder for run): socket, data root, exec
# root, pidfile, log, and the containerd dockerd starts for itself (under the
# exec root, in its own namespace). Containers get no network
# (--bridge=none, no iptables). It never touches another engine: it stops only
# the dockerd whose PID it wrote.
#
# ENGINE picks the engine:
#   20.10   (default) Debian's docker.io package, API 1.41
#   28      Docker Engine 28.5.2, API 1.51
#   newest  moby v2.0.0-beta.24 (Engine 29's successor), API 1.56, with runc 1.3.3
# 28 and newest are built from the Go module proxy by scripts/engine-build.sh
# into ${XDG_CACHE_HOME:-~/.cache}/docker-heal/engines/<version>/ (once;
# several minutes the first time) and run with the machine's containerd.
set -euo pipefail

ENGINE=${ENGINE:-20.10}

START_TIMEOUT=${ENGINE_START_TIMEOUT:-60} # seconds to wait for the engine to answer
STOP_TIMEOUT=${ENGINE_STOP_TIMEOUT:-60}   # seconds to wait for it to exit
# Storage drivers tried in order: overlay2 fails on some sandboxes (overlay
# on overlay, no d_type), vfs works everywhere, slowly.
STORAGE_DRIVERS=${ENGINE_STORAGE_DRIVERS:-overlay2 vfs}

die() { echo "engine.sh: $*" >&2; exit 2; }

# paths DIR: set the file names under DIR.
paths() {
	dir=$1
	sock=$dir/docker.sock
	pidfile=$dir/dockerd.pid
	log=$dir/dockerd.log
	host=unix://$sock
}

# ensure_dockerd: set DOCKERD (the binary) and ENGINE_PATH (the PATH dockerd
# runs with: it starts containerd and runc from it) for $ENGINE.
ensure_dockerd() {
	ENGINE_PATH=$PATH
	case "$ENGINE" in
	20.10 | "") ensure_debian_dockerd; DOCKERD=$(command -v dockerd) ;;
	28 | newest)
		local bin
		bin=$("$(dirname "$0")/engine-build.sh" "$ENGINE") || die "could not build engine $ENGINE"
		DOCKERD=$bin/dockerd
		# Its own docker-proxy (and, for newest, runc) come first; containerd
		# comes from the machine (Debian's docker.io depends on it).
		ENGINE_PATH=$bin:$PATH
		command -v containerd >/dev/null 2>&1 || ensure_debian_dockerd
		;;
	*) die "ENGINE=$ENGINE: want 20.10, 28 or newest" ;;
	esac
}

ensure_debian_dockerd() {
	command -v dockerd >/dev/null 2>&1 && return 0
	[ "$(id -u)" = 0 ] || die "dockerd is not installed and we are not root: install Debian's docker.io (apt-get install -y docker.io)"
	echo "engine.sh: dockerd missing, installing docker.io" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2 && apt-get install -y docker.io >&2 || die "apt-get install docker.io failed"
	command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is not on PATH"
}

# answers HOST: does an engine answer there? Uses the API's /_ping, so it
# needs only curl or the docker CLI. curl first: /_ping has no API version,
# so it works whatever the engine's minimum API is.
answers() {
	local h=$1
	if [[ $h == unix://* ]] && command -v curl >/dev/null 2>&1; then
		timeout 5 curl -fsS --unix-socket "${h#unix://}" http://localhost/_ping >/dev/null 2>&1
	elif command -v docker >/dev/null 2>&1; then
		timeout 5 docker -H "$h" version >/dev/null 2>&1
	else
		return 1
	fi
}

# api_versions: the engine's API version and the oldest it accepts, from
# /version (which needs no API version in the path).
api_versions() {
	local v
	v=$(timeout 5 curl -fsS --unix-socket "$sock" http://localhost/version 2>/dev/null) || { echo "API ?"; return 0; }
	printf 'API %s (min %s)' \
		"$(printf '%s' "$v" | sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p')" \
		"$(printf '%s' "$v" | sed -n 's/.*"MinAPIVersion":"\([^"]*\)".*/\1/p')"
}

# running: is the dockerd of our pidfile alive?
running() {
	[ -f "$pidfile" ] || return 1
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# launch DRIVER: start dockerd with that storage driver; wait until it answers.
launch() {
	local driver=$1
	: >"$log"
	echo '{}' >"$dir/daemon.json" # not the machine's /etc/docker/daemon.json
	# setsid: the engine must not get the terminal's signals (Ctrl-C on a
	# test run); `stop` ends it.
	PATH=$ENGINE_PATH setsid "$DOCKERD" \
		--config-file "$dir/daemon.json" \
		--host "$host" \
		--data-root "$dir/data" \
		--exec-root "$dir/exec" \
		--pidfile "$pidfile" \
		--containerd-namespace docker-heal-test \
		--containerd-plugins-namespace docker-heal-test-plugins \
		--cgroup-parent docker-heal-test \
		--storage-driver "$driver" \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		--userland-proxy=false \
		--log-level warn \
		</dev/null >>"$log" 2>&1 &
	local launched=$!
	local deadline=$((SECONDS + START_TIMEOUT))
	while ((SECONDS < deadline)); do
		if answers "$host"; then
			# dockerd writes the pidfile itself; keep ours if it has not yet.
			[ -s "$pidfile" ] || echo "$launched" >"$pidfile"
			return 0
		fi
		if ! kill -0 "$launched" 2>/dev/null; then
			wait "$launched" 2>/dev/null || true
			return 1
		fi
		sleep 0.2
	done
	echo "engine.sh: dockerd did not answer on $host within ${START_TIMEOUT}s" >&2
	kill "$launched" 2>/dev/null || true
	wait "$launched" 2>/dev/null || true
	return 1
}

cmd_start() {
	ensure_dockerd
	mkdir -p "$dir"
	if running; then
		if answers "$host"; then
			echo "export DOCKER_HOST=$host"
			return 0
		fi
		die "dockerd $(cat "$pidfile") under $dir is running but does not answer on $host; scripts/engine.sh stop first"
	fi
	cleanup_dir # a stale folder from a killed run
	mkdir -p "$dir"
	local driver
	for driver in $STORAGE_DRIVERS; do
		if launch "$driver"; then
			echo "$driver" >"$dir/driver"
			echo "engine.sh: ENGINE=$ENGINE dockerd $("$DOCKERD" --version | sed 's/^Docker version //') ($driver), $(api_versions) pid $(cat "$pidfile") on $host" >&2
			echo "export DOCKER_HOST=$host"
			return 0
		fi
		echo "engine.sh: dockerd failed with storage driver $driver; log tail:" >&2
		tail -n 15 "$log" >&2 || true
		cleanup_dir
		mkdir -p "$dir"
	done
	die "could not start a private dockerd under $dir (log above)"
}

# unmount_below: unmount anything still mounted under $dir, deepest first.
unmount_below() {
	[ -d "$dir" ] || return 0
	local real m
	real=$(readlink -f "$dir")
	awk -v d="$real/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}

cleanup_dir() {
	unmount_below
	rm -rf "$dir"
}

cmd_stop() {
	if running; then
		local pid
		pid=$(cat "$pidfile")
		kill -TERM "$pid"
		local deadline=$((SECONDS + STOP_TIMEOUT))
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "engine.sh: dockerd $pid still running after ${STOP_TIMEOUT}s, killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
			sleep 1
		fi
	fi
	# dockerd stops the containerd it started; one left behind (dockerd was
	# killed) is found by its pidfile under our exec root, never by name.
	local cpid
	for f in "$dir"/exec/containerd/containerd.pid; do
		[ -f "$f" ] || continue
		cpid=$(cat "$f" 2>/dev/null || true)
		if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
			kill -TERM "$cpid" 2>/dev/null || true
			sleep 1
		fi
	done
	cleanup_dir
}

# stop_dockerd: TERM the dockerd of our pidfile, KILL it after STOP_TIMEOUT.
stop_dockerd() {
	running || return 0
	local pid
	pid=$(cat "$pidfile")
	kill -TERM "$pid"
	local deadline=$((SECONDS + STOP_TIMEOUT))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "engine.sh: dockerd $pid still running after ${STOP_TIMEOUT}s, killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
		sleep 1
	fi
}

cmd_restart() {
	running || die "no engine running under $dir (scripts/engine.sh start)"
	[ -s "$dir/driver" ] || die "$dir was started by an older engine.sh; stop and start it"
	stop_dockerd
	ensure_dockerd
	launch "$(cat "$dir/driver")" || die "dockerd did not start again under $dir; see $log"
	echo "engine.sh: dockerd restarted, pid $(cat "$pidfile") on $host" >&2
	echo "export DOCKER_HOST=$host"
}

cmd_env() {
	running && answers "$host" || die "no engine running under $dir (scripts/engine.sh start)"
	echo "export DOCKER_HOST=$host"
}

cmd_run() {
	[ $# -gt 0 ] || die "usage: engine.sh run CMD [ARGS...]"
	if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then
		echo "engine.sh: using the engine at $DOCKER_HOST" >&2
		exec "$@"
	fi
	if [ -z "${ENGINE_DIR:-}" ]; then
		paths "$(mktemp -d /tmp/docker-heal-engine.XXXXXX)"
	fi
	trap 'cmd_stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	cmd_start >/dev/null || exit 2
	export DOCKER_HOST=$host
	local rc=0
	"$@" || rc=$?
	return "$rc"
}

paths "${ENGINE_DIR:-/tmp/docker-heal-engine}"
case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
restart) cmd_restart ;;
env) cmd_env ;;
run)
	shift
	cmd_run "$@"
	;;
*) die "usage: engine.sh start|stop|restart|env|run CMD..." ;;
esac

#!/usr/bin/env bash
# A private image registry for the integration tests: Debian's docker-registry
# (the CNCF distribution registry) on 127.0.0.1, with its own port, folder and
# config.
#
#   scripts/registry.sh start      start it, print `export DOCKER_HEAL_TEST_REGISTRY=127.0.0.1:PORT`
#   scripts/registry.sh env        print the export line of a running one
#   scripts/registry.sh stop       stop the one `start` started, remove its folder
#   scripts/registry.sh run CMD... run CMD with DOCKER_HEAL_TEST_REGISTRY set:
#                                  start one, run CMD, stop it; exits with CMD's code
#
# Everything lives under REGISTRY_DIR (default /tmp/docker-heal-registry for
# start/stop/env, a fresh temporary folder for run): config, storage, pidfile,
# log. The port is REGISTRY_PORT, or a free one. It serves plain HTTP on the
# loopback address only: dockerd and go-containerregistry both treat
# 127.0.0.0/8 as an insecure (HTTP) registry without configuration. It stops
# only the process whose PID it wrote.
set -euo pipefail

START_TIMEOUT=${REGISTRY_START_TIMEOUT:-30}
STOP_TIMEOUT=${REGISTRY_STOP_TIMEOUT:-15}
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}

die() { echo "registry.sh: $*" >&2; exit 2; }

paths() {
	dir=$1
	pidfile=$dir/registry.pid
	portfile=$dir/port
	log=$dir/registry.log
	config=$dir/config.yml
}

ensure_registry() {
	[ -x "$REGISTRY_BIN" ] && return 0
	[ "$(id -u)" = 0 ] || die "$REGISTRY_BIN is missing and we are not root: install Debian's docker-registry (apt-get install -y docker-registry)"
	echo "registry.sh: docker-registry missing, installing it" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2 && apt-get install -y docker-registry >&2 || die "apt-get install docker-registry failed"
	[ -x "$REGISTRY_BIN" ] || die "docker-registry installed but $REGISTRY_BIN is missing"
}

# free_port: a TCP port nothing listens on now (the kernel picks it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

answers() {
	curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/v2/" 2>/dev/null
}

running() {
	[ -f "$pidfile" ] || return 1
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

cmd_start() {
	ensure_registry
	mkdir -p "$dir"
	if running; then
		answers "$(cat "$portfile")" || die "registry $(cat "$pidfile") under $dir is running but does not answer; scripts/registry.sh stop first"
		echo "export DOCKER_HEAL_TEST_REGISTRY=127.0.0.1:$(cat "$portfile")"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir/storage"
	local port=${REGISTRY_PORT:-$(free_port)}
	echo "$port" >"$portfile"
	# Not the machine's /etc/docker/registry/config.yml: no auth, our storage,
	# loopback only, every request logged (the tests count them).
	cat >"$config" <<-YAML
		version: 0.1
		log:
		  level: info
		  accesslog:
		    disabled: false
		storage:
		  filesystem:
		    rootdirectory: $dir/storage
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
		  secret: docker-heal-test-$port
		  headers:
		    X-Content-Type-Options: [nosniff]
	YAML
	: >"$log"
	# The registry reads REGISTRY_* variables as config overrides: ours
	# (REGISTRY_DIR, REGISTRY_PORT) and the caller's are not for it.
	local unset=() v
	for v in $(compgen -e); do
		[[ $v == REGISTRY_* ]] && unset+=(-u "$v")
	done
	setsid env "${unset[@]}" "$REGISTRY_BIN" serve "$config" </dev/null >>"$log" 2>&1 &
	local pid=$!
	echo "$pid" >"$pidfile"
	local deadline=$((SECONDS + START_TIMEOUT))
	while ((SECONDS < deadline)); do
		if answers "$port"; then
			echo "registry.sh: docker-registry pid $pid on 127.0.0.1:$port, storage $dir/storage" >&2
			echo "export DOCKER_HEAL_TEST_REGISTRY=127.0.0.1:$port"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "registry.sh: docker-registry did not answer on 127.0.0.1:$port; log tail:" >&2
	tail -n 15 "$log" >&2 || true
	cmd_stop
	die "could not start a private registry under $dir"
}

cmd_stop() {
	if running; then
		local pid
		pid=$(cat "$pidfile")
		kill -TERM "$pid" 2>/dev/null || true
		local deadline=$((SECONDS + STOP_TIMEOUT))
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.2
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}

cmd_env() {
	running && answers "$(cat "$portfile")" || die "no registry running under $dir (scripts/registry.sh start)"
	echo "export DOCKER_HEAL_TEST_REGISTRY=127.0.0.1:$(cat "$portfile")"
}

cmd_run() {
	[ $# -gt 0 ] || die "usage: registry.sh run CMD [ARGS...]"
	if [ -z "${REGISTRY_DIR:-}" ]; then
		paths "$(mktemp -d /tmp/docker-heal-registry.XXXXXX)"
	fi
	trap 'cmd_stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local line
	line=$(cmd_start) || exit 2
	export DOCKER_HEAL_TEST_REGISTRY=${line#export DOCKER_HEAL_TEST_REGISTRY=}
	local rc=0
	"$@" || rc=$?
	return "$rc"
}

paths "${REGISTRY_DIR:-/tmp/docker-heal-registry}"
case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
run)
	shift
	cmd_run "$@"
	;;
*) die "usage: registry.sh start|stop|env|run CMD..." ;;
esac

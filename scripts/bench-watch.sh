#!/usr/bin/env bash
# How fast `docker heal watch` reacts, against autoheal's approach, and what
# watch costs at rest. Runs on the engine DOCKER_HOST points to (use
# scripts/engine.sh start, never a production engine: it creates and makes
# sick containers labelled docker-heal.bench=<run>, and removes them after).
#
#   scripts/bench-watch.sh            N=20 sick containers, 100 idle ones, 60s idle
#   N=10 IDLE=50 IDLE_SECONDS=30 scripts/bench-watch.sh
#
# Reaction is measured the same way for both, from the engine's own events:
# the time from a container's `health_status: unhealthy` event to the `kill`
# event that starts its restart. Containers are made sick one at a time; the
# next one only once the last is healthy again.
#
# autoheal (willfarrell/docker-autoheal) is a shell loop: every
# AUTOHEAL_INTERVAL (5s by default) it lists the unhealthy containers
# labelled autoheal=true and restarts each. This script runs that loop,
# re-implemented with the docker CLI, so no image needs pulling.
set -euo pipefail

N=${N:-20}
IDLE=${IDLE:-100}
IDLE_SECONDS=${IDLE_SECONDS:-60}
AUTOHEAL_INTERVAL=${AUTOHEAL_INTERVAL:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
run=bench-$$
work=$(mktemp -d)
image=docker-heal-bench-app:latest
pids=()

die() { echo "bench-watch.sh: $*" >&2; exit 2; }
[ -n "${DOCKER_HOST:-}" ] || die "set DOCKER_HOST to a test engine (scripts/engine.sh start prints it)"
docker version >/dev/null 2>&1 || die "no engine answers at $DOCKER_HOST"

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	docker ps -aq --filter "label=docker-heal.bench=$run" | xargs -r docker rm -f >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

echo "bench-watch.sh: building docker-heal and the test app" >&2
make -C "$root" build >/dev/null
(cd "$root/testdata/app" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$work/ctx/app" .)
cp "$root/testdata/app/Dockerfile" "$work/ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" "$work/ctx" >/dev/null 2>&1 || die "building $image failed"

# start NAME [docker run flags...]: a labelled app container.
start() {
	local name=$1
	shift
	docker run -d --name "$name" --network none --label "docker-heal.bench=$run" "$@" "$image" >/dev/null
}

wait_health() { # ID WANT
	local i
	for i in $(seq 1 300); do
		[ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	die "$1 not $2 after 30s"
}

# sicken_each: make the N bench containers sick one at a time, each once the
# last is back to healthy.
sicken_each() {
	local i
	for i in $(seq 1 "$N"); do
		local c=$run-sick-$i
		wait_health "$c" healthy
		docker exec "$c" /app sicken >/dev/null
		# wait for the restart to have happened and the probe to pass again
		local started
		started=$(docker inspect -f '{{.State.StartedAt}}' "$c")
		for _ in $(seq 1 600); do
			[ "$(docker inspect -f '{{.State.StartedAt}}' "$c")" != "$started" ] && break
			sleep 0.1
		done
		wait_health "$c" healthy
	done
}

# follow_events FILE: record the bench containers' events as they happen
# (the engine replays only its last 256 events, and every probe makes three).
follow_events() {
	docker events --filter "label=docker-heal.bench=$run" --filter type=container \
		--filter event=health_status --filter event=kill \
		--format '{{.TimeNano}} {{.Actor.Attributes.name}} {{.Action}}' >"$1" &
	events_pid=$!
	pids+=("$events_pid")
	sleep 0.5
}

# reactions FILE: one line per container, seconds from unhealthy to kill.
reactions() {
	awk '$3 == "health_status:" && $4 == "unhealthy" && !($2 in sick) { sick[$2] = $1 }
	     $3 == "kill" && ($2 in sick) && !($2 in done) { printf "%.3f\n", ($1 - sick[$2]) / 1e9; done[$2] = 1 }' "$1"
}

# percentiles: p50 and p95 of the numbers on stdin (nearest rank).
percentiles() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "no samples"; exit }
		p50 = v[int((NR * 50 + 99) / 100)]; p95 = v[int((NR * 95 + 99) / 100)]
		printf "n=%d p50=%.3fs p95=%.3fs max=%.3fs\n", NR, p50, p95, v[NR] }'
}

for i in $(seq 1 "$N"); do
	start "$run-sick-$i" --label docker-heal.enable=true --label autoheal=true
done

# --- watch ---
follow_events "$work/watch.events"
"$root/bin/docker-heal" watch --state-file "$work/state.json" --resync 1m --max-restarts 1000 --backoff 1s \
	--filter "label=docker-heal.bench=$run" --log-format json >"$work/watch.out" 2>"$work/watch.log" &
watch_pid=$!
pids+=("$watch_pid")
sleep 1
sicken_each
kill "$watch_pid" "$events_pid"
wait "$watch_pid" "$events_pid" 2>/dev/null || true
pids=()
echo "watch reaction (unhealthy event -> restart), $N containers one at a time: $(reactions "$work/watch.events" | percentiles)"

# --- autoheal's loop, default interval ---
follow_events "$work/autoheal.events"
(
	while true; do
		sleep "$AUTOHEAL_INTERVAL"
		for id in $(docker ps -q --filter "label=autoheal=true" --filter "label=docker-heal.bench=$run" --filter health=unhealthy); do
			docker restart -t 10 "$id" >/dev/null
		done
	done
) &
loop_pid=$!
pids+=("$loop_pid")
sicken_each
kill "$loop_pid" "$events_pid" 2>/dev/null || true
wait "$loop_pid" "$events_pid" 2>/dev/null || true
pids=()
echo "autoheal's loop at ${AUTOHEAL_INTERVAL}s (re-implemented), same containers: $(reactions "$work/autoheal.events" | percentiles)"

# --- watch at rest with IDLE containers ---
docker ps -aq --filter "label=docker-heal.bench=$run" | xargs -r docker rm -f >/dev/null
for i in $(seq 1 "$IDLE"); do
	start "$run-idle-$i" --label docker-heal.enable=true --health-interval 30s
done
"$root/bin/docker-heal" watch --state-file "$work/idle-state.json" --resync 1m \
	--filter "label=docker-heal.bench=$run" >/dev/null 2>"$work/idle.log" &
watch_pid=$!
pids+=("$watch_pid")
sleep 5 # the first round, then rest
hz=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$watch_pid/stat"; }
c0=$(cpu)
t0=$(date +%s.%N)
max_rss=0
for _ in $(seq 1 "$IDLE_SECONDS"); do
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$watch_pid/status")
	((rss > max_rss)) && max_rss=$rss
	sleep 1
done
c1=$(cpu)
t1=$(date +%s.%N)
awk -v c="$((c1 - c0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" -v rss="$max_rss" -v n="$IDLE" 'BEGIN {
	printf "watch at rest, %d containers, %.0fs (one resync included): CPU %.2f%% of one core, max RSS %.1f MiB\n",
		n, t1 - t0, 100 * c / hz / (t1 - t0), rss / 1024 }'

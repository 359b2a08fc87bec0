#!/bin/sh
set -e
. /opt/scripts/lib.sh
if [ "$1" = 'app' ]; then
	prepare
	exec gosu app "$@"
fi
exec "$@"

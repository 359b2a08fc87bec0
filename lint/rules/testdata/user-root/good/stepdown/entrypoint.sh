#!/bin/sh
set -e
. /usr/local/lib/common.sh
chown -R app /data
exec su-exec app "$@"

#!/bin/sh
set -e
envsubst < /etc/app.conf.tmpl > /etc/app.conf
exec "$@"

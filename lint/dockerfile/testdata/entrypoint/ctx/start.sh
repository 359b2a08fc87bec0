#!/usr/bin/env bash
exec /usr/bin/tini -- /app/server --port 80

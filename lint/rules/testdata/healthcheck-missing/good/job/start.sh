#!/bin/bash
borg create "$REPO::$(date +%F)" /data
exec "$@"

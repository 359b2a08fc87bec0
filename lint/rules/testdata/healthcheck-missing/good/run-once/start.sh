#!/bin/sh
if [ -n "$CONTAINER_TO_UPDATE" ]; then
    exec /watchtower --cleanup --run-once "$CONTAINER_TO_UPDATE"
else
    echo "nothing to update"
    exit 1
fi

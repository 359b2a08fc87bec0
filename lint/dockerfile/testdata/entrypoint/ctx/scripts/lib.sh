# sourced by the entrypoint; sources itself back (a loop must end)
. /opt/scripts/lib.sh
prepare() { chown -R app /data; }

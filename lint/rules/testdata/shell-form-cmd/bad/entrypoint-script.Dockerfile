FROM postgres:16
# The entrypoint script exec's "$@", which is /bin/sh -c "...".
ENTRYPOINT ["docker-entrypoint.sh"]
CMD postgres -c max_connections=200

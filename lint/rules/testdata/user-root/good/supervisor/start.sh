#!/bin/bash
postconf -e "myhostname=${HOSTNAME}"
exec /usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf

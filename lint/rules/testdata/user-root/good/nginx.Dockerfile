# docker-library/nginx's debian shape: the nginx master binds :80 as root and
# runs its workers as the nginx user this Dockerfile creates.
FROM debian:bookworm-slim
RUN set -x \
    && groupadd --system --gid 101 nginx \
    && useradd --system --gid nginx --no-create-home --home /nonexistent --shell /bin/false --uid 101 nginx \
    && apt-get update && apt-get install --no-install-recommends --no-install-suggests -y nginx
COPY docker-entrypoint.sh /
ENTRYPOINT ["/docker-entrypoint.sh"]
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

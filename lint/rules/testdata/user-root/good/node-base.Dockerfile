# docker-library/node's shape: it creates the node user for the images built
# FROM it, and runs the bare interpreter behind an entrypoint script.
FROM alpine:3.23
ENV NODE_VERSION 22.21.1
RUN addgroup -g 1000 node \
    && adduser -u 1000 -G node -s /bin/sh -D node \
    && apk add --no-cache libstdc++
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
CMD [ "node" ]

# docker-heal as an image: `docker heal watch` as one more service beside the
# containers it heals (see examples/watch/compose.yaml). The same image runs
# lint: docker run --rm -v "$PWD:/src" -w /src docker-heal lint
#
# Built by `make image` (scripts/image.sh) from the binary `make build` made,
# offline: FROM scratch pulls nothing. The CA certificates come from the
# build host, for notifications over HTTPS.
FROM scratch
# The binary sits at $TARGETPLATFORM/docker-heal in the context, as goreleaser
# lays it out (see .goreleaser.yaml); scripts/image.sh does the same.
ARG TARGETPLATFORM
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY ${TARGETPLATFORM}/docker-heal /docker-heal
# /healthz and /metrics on the loopback: the HEALTHCHECK asks the same
# address, and /metrics (every container's name and circuit state, without
# authentication) is not offered to the network. For Prometheus, set
# DOCKER_HEAL_LISTEN=0.0.0.0:9580 and put the service on a private network
# with the scraper only (see README, "Metrics for Prometheus").
ENV DOCKER_HEAL_LISTEN=127.0.0.1:9580
EXPOSE 9580
# State (restart budget, circuits) survives the container: mount a volume here.
VOLUME ["/var/lib/docker-heal"]
# scratch has no shell and no curl: the binary asks its own /healthz, which
# turns unhealthy when the engine's event stream has been down over a minute,
# or when no round has succeeded within two resyncs (an engine that hangs).
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/docker-heal", "watch", "--healthcheck"]
ENTRYPOINT ["/docker-heal"]
CMD ["watch"]

# The base image is chosen by the build command (netbox-docker's shape):
# --build-arg FROM=ubuntu:24.04; the ARG has no default.
ARG FROM
FROM ${FROM} AS builder
RUN apt-get update && apt-get install -y --no-install-recommends python3-venv
ARG FROM
FROM ${FROM} AS main
COPY --from=builder /opt/app/venv /opt/app/venv
ENTRYPOINT [ "/usr/bin/tini", "--" ]
CMD [ "/opt/app/docker-entrypoint.sh", "/opt/app/launch.sh" ]

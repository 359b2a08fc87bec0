# A base or build image: no CMD, no ENTRYPOINT of its own, only the official
# OS image's bare shell as CMD. The images built FROM it choose what runs:
# runtime rules do not apply to it.
FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*

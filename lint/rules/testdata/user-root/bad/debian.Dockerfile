# Built FROM an official OS image, whose config is known by name (no USER):
# with no USER of its own the app runs as root.
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY app /usr/local/bin/app
CMD ["app"]

FROM debian:12-slim
RUN useradd -r app
USER app
RUN apt-get update
USER root
CMD ["/app"]

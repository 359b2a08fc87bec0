FROM debian:12.7
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates
# A CMD written before the ENTRYPOINT in the same stage is kept (BuildKit):
# the ENTRYPOINT runs it as arguments.
CMD /usr/local/bin/worker --queue default
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]

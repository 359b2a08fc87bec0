FROM debian:12-slim
COPY app /usr/local/bin/
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["sleep 2; app --port 8080"]

FROM scratch
COPY app /app
USER 65534:65534
ENTRYPOINT ["/app"]

# The :nonroot distroless images set USER 65532 themselves.
FROM gcr.io/distroless/static-debian12:nonroot
COPY app /app
ENTRYPOINT ["/app"]

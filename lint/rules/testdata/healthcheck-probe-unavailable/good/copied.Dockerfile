FROM gcr.io/distroless/static-debian12
COPY --from=ghcr.io/tarampampam/curl:8.10.1 /bin/curl /bin/curl
HEALTHCHECK CMD ["/bin/curl", "-f", "http://localhost:8080/health"]

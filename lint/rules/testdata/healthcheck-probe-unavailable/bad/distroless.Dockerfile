FROM gcr.io/distroless/static-debian12
COPY app /app
HEALTHCHECK CMD ["wget", "-q", "--spider", "http://localhost:8080/health"]
ENTRYPOINT ["/app"]

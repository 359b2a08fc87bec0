FROM alpine:3.20
RUN apk add --no-cache ca-certificates
COPY app /app
HEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1

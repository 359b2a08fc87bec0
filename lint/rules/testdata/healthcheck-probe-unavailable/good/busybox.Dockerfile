FROM alpine:3.20
# busybox wget is part of alpine.
HEALTHCHECK CMD wget -q --spider http://localhost:8080/health || exit 1

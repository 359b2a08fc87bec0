# The :debug variants of distroless carry a busybox shell.
FROM gcr.io/distroless/base-debian12:debug
HEALTHCHECK CMD wget -q --spider http://localhost:8080/health

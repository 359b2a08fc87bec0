FROM golang:1.22 AS build
RUN CGO_ENABLED=0 go build -o /out/app .

# With no USER a static binary on scratch runs as uid 0.
FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]

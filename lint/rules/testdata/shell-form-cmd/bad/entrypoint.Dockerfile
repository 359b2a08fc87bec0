FROM debian:12-slim
COPY app /usr/local/bin/app
# A shell-form ENTRYPOINT also makes the CMD below ignored.
ENTRYPOINT /usr/local/bin/app --config /etc/app.yaml
CMD ["--verbose"]

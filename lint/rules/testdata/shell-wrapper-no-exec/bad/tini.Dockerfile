FROM debian:12-slim
RUN apt-get update && apt-get install -y tini
ENTRYPOINT ["tini", "--"]
# tini's child is sh (dash on Debian), which stays the parent of the app.
CMD ["sh", "-c", "migrate && app --port 8080"]

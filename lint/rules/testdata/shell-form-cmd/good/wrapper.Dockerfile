FROM debian:12-slim
# An exec-form shell wrapper is shell-wrapper-no-exec's to judge, not this rule's.
CMD ["sh", "-c", "app --port 8080"]

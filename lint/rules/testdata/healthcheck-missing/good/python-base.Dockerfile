# A language base image (docker-library/python's shape): its CMD is the bare
# interpreter, it runs no app; images built FROM it choose their USER.
FROM alpine:3.23
ENV PATH /usr/local/bin:$PATH
ENV LANG C.UTF-8
RUN set -eux; apk add --no-cache ca-certificates tzdata
ENV PYTHON_VERSION 3.10.19
RUN set -eux; wget -O python.tar.xz "https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz"
CMD ["python3"]

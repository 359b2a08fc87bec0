# The base image is chosen by the build command; the final stage sets its user.
ARG FROM
FROM ${FROM} AS main
COPY app /opt/app
USER 10001
ENTRYPOINT [ "/usr/bin/tini", "--" ]
CMD [ "/opt/app/launch.sh" ]

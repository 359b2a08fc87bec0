FROM node:22-alpine
COPY dist /app
# busybox sh (Alpine's /bin/sh) replaces itself with a last plain command:
# /bin/sh -c "node /app/server.js" leaves node as PID 1.
CMD node /app/server.js

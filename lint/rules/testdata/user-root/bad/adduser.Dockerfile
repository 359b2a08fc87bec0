# Creates a user, then never switches to it: the app still runs as root.
FROM node:22-alpine
RUN addgroup -S app && adduser -S -G app app
WORKDIR /app
COPY . .
CMD ["node", "server.js"]

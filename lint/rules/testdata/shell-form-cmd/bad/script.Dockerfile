FROM python:3.12-slim AS base
COPY . /app
CMD python /app/manage.py migrate && gunicorn app.wsgi

# The final stage inherits base's CMD: reported where it is written.
FROM base AS runtime
RUN pip install /app

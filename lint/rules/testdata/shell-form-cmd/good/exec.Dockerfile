FROM python:3.12-slim
COPY . /app
# Shell form whose last command is exec'd: the app replaces the shell as PID 1.
CMD python /app/manage.py migrate && exec gunicorn app.wsgi

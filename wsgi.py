"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from evalapp import create_app

app = create_app()

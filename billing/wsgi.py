"""WSGI entry point for gunicorn: ``gunicorn 'billing.wsgi:app'``."""

from billing import create_app

app = create_app()

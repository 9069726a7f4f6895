"""WSGI entry point for gunicorn: ``gunicorn 'billing.wsgi:app'``."""

from billing import create_app
from billing.settings import for_process

app = create_app(for_process())

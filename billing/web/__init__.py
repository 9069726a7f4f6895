"""The staff workspace: server-rendered pages under ``/staff`` for people signed in in a browser."""

from flask import Flask


def init_app(app: Flask) -> None:
    from billing.web import audit_pages, pages, queue_pages  # noqa: F401  (their routes join the blueprint)
    from billing.web.access import bp

    app.register_blueprint(bp)

"""The staff workspace: server-rendered pages under ``/staff`` for people signed in in a browser."""

from flask import Flask


def init_app(app: Flask) -> None:
    from billing.web import (  # noqa: F401  (their routes join the blueprint)
        audit_pages,
        case_pages,
        dashboard_pages,
        pages,
        reconciliation_pages,
    )
    from billing.web.access import bp

    app.register_blueprint(bp)

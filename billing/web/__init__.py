"""The browser pages: the staff workspace under ``/staff`` for people signed in with a password, and
the workers' self-service pages under ``/saya`` (``billing.web.worker``)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from billing.web import (  # noqa: F401  (their routes join the blueprint)
        audit_pages,
        case_pages,
        dashboard_pages,
        pages,
        queue_pages,
        reconciliation_pages,
        worker,
    )
    from billing.web.access import bp

    app.register_blueprint(bp)
    worker.init_app(app)

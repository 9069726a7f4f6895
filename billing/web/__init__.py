"""The browser pages: the staff workspace under ``/staff`` for people signed in with a password, and
the workers' self-service pages under ``/saya`` (``billing.web.worker``), the Perisai agents' under ``/agen``
(``billing.web.agent``)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from billing.web import (  # noqa: F401  (their routes join the blueprint)
        agent,
        agent_cash_pages,
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
    agent.init_app(app)

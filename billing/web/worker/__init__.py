"""The workers' self-service pages under ``/saya``: sign in with a code sent to the registered phone,
enrol online, authorise the auto-debit, see cover and receipts, pay now, change or leave. Server-rendered,
for a phone first, Indonesian first (``?lang=en`` for English)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from billing.web.worker import change, enrol, mandate, pay, signin, status  # noqa: F401  (their routes)
    from billing.web.worker.access import bp

    app.register_blueprint(bp)

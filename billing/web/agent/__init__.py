"""The Perisai agents' pages under ``/agen``: an agent signs in with their password (a staff login of role
``agent``, the staff's session cookie), enrols workers on the spot, records their cash, and reads their
commission statement. For a phone first, Indonesian first (``?lang=en`` for English). An agent opens
only these pages, and on them only their own workers and collections."""

from flask import Flask


def init_app(app: Flask) -> None:
    from billing.web.agent import collect, enrol, home, signin  # noqa: F401  (their routes)
    from billing.web.agent.access import bp

    app.register_blueprint(bp)

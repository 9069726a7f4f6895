"""Liveness and readiness."""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import jsonify
from flask_openapi3 import OpenAPI
from sqlalchemy import text

from billing import db
from billing.migrations import alembic_config


def init_app(app: OpenAPI) -> None:
    # Operations endpoints stay out of the API document: they need no token.
    @app.get("/healthz", doc_ui=False)
    def healthz():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.get("/readyz", doc_ui=False)
    def readyz():  # type: ignore[no-untyped-def]
        try:
            with db.engine().connect() as conn:
                conn.execute(text("SELECT 1"))
                current = MigrationContext.configure(conn).get_current_heads()
        except Exception as exc:  # any database failure means "not ready"
            return jsonify(status="unavailable", database="unreachable", error=type(exc).__name__), 503
        head = ScriptDirectory.from_config(alembic_config(str(db.engine().url))).get_heads()
        if set(current) != set(head):
            return jsonify(status="unavailable", database="ok", migrations="behind", current=list(current)), 503
        return jsonify(status="ok", database="ok", migrations="head")

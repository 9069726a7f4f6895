"""Contribution auto-debit billing for BPJS Ketenagakerjaan BPU workers."""

from typing import Any

from flask import request
from flask_openapi3 import Info, OpenAPI

from billing import db, errors, headers, health, observability, requests, web
from billing.audit import api_writes
from billing.auth import browser
from billing.openapi_doc import BillingOpenAPI
from billing.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> OpenAPI:
    """The app factory: nothing connects to a database until a request needs it."""
    settings = settings or Settings()
    # The document it serves is finished in billing/openapi_doc.py (problems, examples, operation ids).
    app = BillingOpenAPI(
        __name__,
        info=Info(
            title="BPU auto-debit billing",
            version="1",
            description="Iuran BPJS Ketenagakerjaan peserta BPU dengan autodebet / "
            "BPJS Ketenagakerjaan BPU contributions by auto-debit",
        ),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        # Every API operation needs the token: Swagger UI's "Authorize" then sends it with each call.
        openapi_extensions={"security": [{"bearer": []}]},
        doc_prefix="/docs",
        doc_url="/openapi.json",
        validation_error_status=422,
        validation_error_callback=errors.validation_problem,
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        # No validator badge: it would send the document's URL to validator.swagger.io.
        SWAGGER_CONFIG={"validatorUrl": None},
    )
    app.extensions["billing.settings"] = settings
    requests.init_app(app)
    app.extensions["billing.engine"] = db.make_engine(settings.database_url)
    observability.configure_logging(settings.log_level, settings.log_json)
    observability.init_app(app)
    headers.init_app(app, API_PREFIX)
    errors.register_error_handlers(app)
    health.init_app(app)
    browser.init_app(app, settings)
    _register_api(app)
    web.init_app(app)
    if settings.gateway == "simulator":
        from billing.gateways.simulator import pages as simulated_bank

        simulated_bank.init_app(app)  # the bank's own pages, where a holder confirms a binding
    app.after_request(db.end_request)
    # After end_request, so that it runs before it (Flask runs after-request hooks in reverse).
    api_writes.init_app(app, API_PREFIX)
    app.teardown_appcontext(db.close_session)

    from billing.cli import register_commands

    register_commands(app)
    return app


def _register_api(app: OpenAPI) -> None:
    from billing.agents.api import bp as agents
    from billing.audit.api import bp as audit
    from billing.auth.guard import check_request
    from billing.casework.api import bp as casework
    from billing.contributions.api import bp as contributions
    from billing.debits.api import bp as debit_runs
    from billing.failed_debits.api import bp as debit_attempts
    from billing.mandates.api import bp as mandates
    from billing.notices.api import bp as notices
    from billing.participants.api import bp as participants
    from billing.payments.api import bp as payments
    from billing.reconciliation.api import bp as reconciliation
    from billing.regions.api import bp as regions
    from billing.reports.api import bp as reports
    from billing.requests import check_body, check_url
    from billing.simulation.api import bp as sandbox
    from billing.sponsors.api import bp as sponsors
    from billing.tariffs.api import bp as tariffs
    from billing.webhooks.api import bp as webhooks

    for bp in (
        participants,
        regions,
        tariffs,
        sponsors,
        mandates,
        contributions,
        payments,
        casework,
        debit_runs,
        debit_attempts,
        webhooks,
        reports,
        notices,
        sandbox,
        audit,
        reconciliation,
        agents,
    ):
        app.register_api(bp)

    @app.before_request
    def _api_guards() -> Any:
        if request.path.startswith(API_PREFIX + "/"):
            answer = check_request()
            if answer is not None:
                return answer
            check_url()
            check_body()
        return None

    # The raw document at /openapi.json; the interactive docs (assets served locally) at /docs.
    @app.get("/openapi.json", doc_ui=False)
    def _openapi():  # type: ignore[no-untyped-def]
        return app.api_doc

    @app.get("/docs", doc_ui=False)
    def _docs():  # type: ignore[no-untyped-def]
        from flask import redirect

        return redirect("/docs/swagger")

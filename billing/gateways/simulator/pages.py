"""The simulated bank's own pages, where an account holder confirms a direct-debit registration as
they would on their bank's site: served by this app only while the gateway is the simulator, under
``/simulator/bank/``, and looking like somebody else's site on purpose."""

from typing import Any

from flask import Blueprint, Flask, abort, redirect, render_template, request

from billing.auth.browser import check_csrf
from billing.gateways.base import SetupStatus
from billing.gateways.registry import app_gateway
from billing.gateways.simulator import setups
from billing.gateways.simulator.gateway import SimulatorGateway
from billing.gateways.simulator.store import Store
from billing.settings import current

bp = Blueprint(
    "simbank",
    __name__,
    url_prefix="/simulator/bank",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.before_request
def _csrf() -> None:
    check_csrf()


def _store() -> Store:
    gateway = app_gateway(current().gateway)
    if not isinstance(gateway, SimulatorGateway):
        abort(404)
    return gateway.bank.store


@bp.get("/setup/<reference>")
def setup(reference: str) -> Any:
    record = _store().get_setup(reference)
    if record is None:
        abort(404)
    return render_template("simbank/setup.html", record=record, accounts=setups.ACCOUNTS, pending=True)


@bp.post("/setup/<reference>")
def setup_answer(reference: str) -> Any:
    store = _store()
    record = store.get_setup(reference)
    if record is None:
        abort(404)
    if request.form.get("decision") == "decline":
        setups.decline(store, reference)
    else:
        answered = setups.confirm(store, reference, request.form.get("code", ""), request.form.get("account", ""))
        if answered is not None and answered.status == SetupStatus.requires_action.value:
            page = render_template("simbank/setup.html", record=answered, accounts=setups.ACCOUNTS, wrong=True)
            return page, 422
    # Back to the merchant, who asks the bank what became of it.
    return redirect(record.return_url)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

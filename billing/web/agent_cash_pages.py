"""The agents' cash in the workspace: what each Perisai agent collected, earned and handed in, and the
cash they still hold (page and CSV); finance records a remittance (audited). Finance and admins only."""

import csv
import io
from typing import Any

from flask import Response, g, redirect, render_template, request, url_for
from pydantic import ValidationError

from billing import db
from billing.agents import remittances
from billing.agents.schemas import RemittanceCreate
from billing.auth.models import Role
from billing.errors import InvalidInput, field_errors
from billing.settings import today
from billing.web.access import bp, staff_page
from billing.web.csv_cells import text_cell
from billing.web.reconciliation_pages import rp

FINANCE = (Role.admin, Role.finance)


@bp.get("/agen")
@staff_page(*FINANCE)
def agents_cash() -> Any:
    rows = remittances.cash_by_agent(db.session())
    return render_template(
        "staff/agents.html",
        rows=rows,
        rp=rp,
        today=today(),
        done=request.args.get("done"),
        held=sum(r.held for r in rows),
    )


@bp.get("/agen.csv")
@staff_page(*FINANCE)
def agents_cash_csv() -> Any:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["agent_id", "name", "login", "collected", "commission", "remitted", "held"])
    for r in remittances.cash_by_agent(db.session()):
        writer.writerow(
            [r.agent_id, text_cell(r.name), text_cell(r.login or ""), r.collected, r.commission, r.remitted, r.held]
        )
    resp = Response(buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="agent-cash.csv"'
    return resp


@bp.post("/agen/<int:agent_id>/setoran")
@staff_page(*FINANCE)
def agents_remit(agent_id: int) -> Any:
    form = request.form
    amount = form.get("amount", "").replace(".", "").strip()
    try:
        body = RemittanceCreate.model_validate(
            {
                "amount": int(amount) if amount.isdigit() else amount,
                "reference": form.get("reference", ""),
                "received_on": form.get("received_on") or None,
            }
        )
    except ValidationError as exc:
        raise InvalidInput(
            "Jumlah (rupiah) dan referensi bank wajib diisi. / An amount (rupiah) and the bank's reference are "
            "required.",
            code="invalid_remittance",
            errors=field_errors(exc),
        ) from exc
    day = today()
    remittances.remit(
        db.session(),
        agent_id=agent_id,
        amount=body.amount,
        reference=body.reference,
        received_on=body.received_on or day,
        by=g.user,
        today=day,
    )
    return redirect(url_for("staff.agents_cash", done=agent_id), 303)

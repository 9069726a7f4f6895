"""The agent's home (their workers, their latest collections, the cash they hold) and their commission
statement for a month, on the page and as CSV."""

import csv
import io
from datetime import date
from typing import Any

from flask import Response, g, render_template, request

from billing import db
from billing.agents import collections, commission, remittances, workers
from billing.agents.commission import Statement
from billing.errors import InvalidInput
from billing.settings import current, today
from billing.timeutil import add_months, parse_period
from billing.web.agent.access import agent_page, bp
from billing.web.csv_cells import text_cell


@bp.get("/")
@agent_page
def home() -> Any:
    session = db.session()
    return render_template(
        "agent/home.html",
        workers=workers.workers_of(session, g.user.id),
        collections=collections.recent(session, g.user.id, limit=10),
        cash=remittances.cash_of(session, g.user.id),
        month=commission.statement(session, g.user.id, today()),
    )


def _month() -> date:
    """The month asked for (``?bulan=2026-05``), this month by default; 422 for anything else."""
    asked = request.args.get("bulan")
    if not asked:
        return today().replace(day=1)
    try:
        return parse_period(asked)
    except ValueError:
        raise InvalidInput(
            "Bulan harus berbentuk YYYY-MM. / The month must be YYYY-MM.",
            code="invalid_month",
            errors=[{"field": "bulan", "message": "YYYY-MM", "type": "invalid_month"}],
        ) from None


@bp.get("/komisi")
@agent_page
def statement() -> Any:
    month = _month()
    found = commission.statement(db.session(), g.user.id, month)
    return render_template(
        "agent/statement.html",
        statement=found,
        previous=add_months(month, -1),
        following=add_months(month, 1) if month < today().replace(day=1) else None,
        rate=current().agent_commission_percent,
    )


CSV_HEADER = [
    "tanggal/date",
    "kuitansi/receipt",
    "peserta/participant_id",
    "nama/name",
    "bulan/months",
    "setoran/collected",
    "tarif_bp/rate_bp",
    "komisi/commission",
]


def csv_text(found: Statement) -> str:
    """The statement's lines, then its total (names are text cells: no formula runs in a spreadsheet)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_HEADER)
    for line in found.lines:
        c = line.collection
        writer.writerow(
            [
                c.collected_on.isoformat(),
                line.number,
                c.participant_id,
                text_cell(line.worker.full_name),
                " ".join(c.periods),
                c.amount,
                c.commission_bp,
                c.commission,
            ]
        )
    writer.writerow(["total", "", "", "", "", found.collected, "", found.commission])
    return buf.getvalue()


@bp.get("/komisi.csv")
@agent_page
def statement_csv() -> Any:
    month = _month()
    found = commission.statement(db.session(), g.user.id, month)
    resp = Response(csv_text(found), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="komisi-{month:%Y-%m}.csv"'
    return resp

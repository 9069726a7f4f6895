"""The lapse evaluation writes what the coverage notices need, and they read as the worker should see them."""

from datetime import date

from sqlmodel import select

from billing.coverage.evaluation import evaluate
from billing.db import unit_of_work
from billing.notices.models import Notice
from billing.notices.texts import render
from schedulers import jobs
from tests.debits.world import enrol, mark_paid_offline


def notices(engine) -> list[Notice]:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        return list(s.exec(select(Notice).order_by(Notice.id)).all())  # type: ignore[arg-type]


def test_arrears_then_end(engine, settings) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(engine, date(2024, 4, 1), None)
    jobs.generate_contributions(jobs.JobContext(settings, engine), date(2024, 4, 1))  # April and May
    mark_paid_offline(engine, until=date(2024, 4, 1))  # April paid, May never

    assert evaluate(engine, date(2024, 4, 30), 3) == {"active": 1}
    assert notices(engine) == []
    # June's due date (18 June 2024) has passed: May and June are unpaid.
    assert evaluate(engine, date(2024, 6, 20), 3) == {"in_arrears": 1}
    (at_risk,) = notices(engine)
    assert (at_risk.participant_id, at_risk.kind, at_risk.dedupe_key) == (
        pid,
        "coverage_at_risk",
        f"in_arrears:{pid}:2024-06-20",
    )
    assert at_risk.params == {
        "last_paid": "2024-04-01",
        "unpaid_from": "2024-05-01",
        "through": "2024-06-01",
        "arrears_months": 3,
        "cause": "no_payment",
    }
    assert render(at_risk.kind, at_risk.params) == (
        "Iuran BPJS Ketenagakerjaan belum dibayar: Mei 2024 s.d. Juni 2024. Bayar paling lambat 31 Juli 2024 agar "
        "kepesertaan Anda tidak berakhir. / BPJS Ketenagakerjaan contribution unpaid: May 2024 to June 2024. "
        "Pay by July 31, 2024 to keep your membership."
    )

    assert evaluate(engine, date(2024, 7, 20), 3) == {}  # still in arrears: no new notice
    # August's due date has passed: May, June, July and August unpaid, more than three months.
    assert evaluate(engine, date(2024, 8, 20), 3) == {"ended": 1}
    ended = notices(engine)[-1]
    assert (ended.kind, ended.params["last_paid"], ended.params["through"]) == (
        "coverage_ended",
        "2024-04-01",
        "2024-08-01",
    )
    assert render(ended.kind, ended.params) == (
        "Kepesertaan BPJS Ketenagakerjaan Anda berakhir: iuran tidak dibayar lebih dari 3 bulan (terakhir dibayar: "
        "April 2024). Membayar lagi berarti pendaftaran baru. / Your BPJS Ketenagakerjaan membership has ended: "
        "contributions were unpaid for over 3 months (last paid: April 2024). Paying again means registering anew."
    )
    assert len(notices(engine)) == 2

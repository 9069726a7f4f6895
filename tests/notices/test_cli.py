"""``billing notices send`` and ``billing notices list --participant ID``."""

from datetime import date

from billing.db import unit_of_work
from billing.notices.models import Notice, NoticeKind
from tests.debits.world import enrol

FAILED = {"code": "account_closed", "amount": 16800, "period": "2024-06-01", "next_try": None}


def test_send_then_list(app, engine) -> None:  # type: ignore[no-untyped-def]
    pid = enrol(engine, date(2024, 6, 1), None)
    with unit_of_work(engine) as s:
        s.add(Notice(participant_id=pid, kind=NoticeKind.debit_failed, dedupe_key="f", params=FAILED))
        s.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["notices", "list", "--participant", str(pid)])
    assert listed.exit_code == 0, listed.output
    assert "debit_failed pending (0 tries)" in listed.output
    assert "Penarikan iuran BPJS Ketenagakerjaan Juni 2024 sebesar Rp16.800 gagal. Rekening sudah ditutup." in (
        listed.output
    )
    assert listed.output.rstrip().endswith("1 of 1")

    sent = runner.invoke(args=["notices", "send"])
    assert sent.exit_code == 0, sent.output
    assert sent.output.strip() == "sent 1"
    assert "debit_failed sent " in runner.invoke(args=["notices", "list", "--participant", str(pid)]).output
    assert runner.invoke(args=["notices", "send", "--limit", "5"]).output.strip() == "sent 0"

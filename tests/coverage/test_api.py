"""Money recorded through the API changes coverage in the same transaction: the answer carries the
participant's new status. Enrolled 6 January 2025; January paid; February and March unpaid (due 17
February and 17 March); today is 20 March 2025."""

from datetime import date

import pytest

from tests.coverage.helpers import bill, member, nightly, pay, status
from tests.debits.world import rows
from tests.factories import auth, token

TODAY = date(2025, 3, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("billing.contributions.api.today", lambda: TODAY)


def _month(engine, pid: int, month: str) -> int:  # type: ignore[no-untyped-def]
    return int(
        rows(engine, f"SELECT id FROM contribution WHERE participant_id = :p AND period = '{month}'", p=pid)[0][0]
    )


def test_paying_the_arrears_oldest_first_shows_the_new_status(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    pid = member(engine, date(2025, 1, 6))
    bill(engine, date(2025, 1, 1), date(2025, 3, 1))
    pay(engine, pid, date(2025, 1, 1))
    nightly(engine, date(2025, 3, 19), date(2025, 3, 19))
    assert status(engine, pid) == "in_arrears"
    finance = auth(token(app, "finance"))

    def cash(month: str, number: str):  # type: ignore[no-untyped-def]
        body = {"receipt_number": number, "channel": "agent", "amount": 16_800, "paid_on": "2025-03-20"}
        return client.post(
            f"/api/v1/contributions/{_month(engine, pid, month)}/offline-payment", json=body, headers=finance
        )

    march_first = cash("2025-03-01", "KW-3")
    assert (march_first.status_code, march_first.get_json()["code"]) == (409, "older_month_due")
    february = cash("2025-02-01", "KW-2")
    assert (february.status_code, february.get_json()["participant_status"]) == (200, "in_arrears")  # March
    march = cash("2025-03-01", "KW-3")
    assert (march.status_code, march.get_json()["participant_status"]) == (200, "active")
    assert status(engine, pid) == "active"
    assert (
        rows(engine, "SELECT kind, occurred_on FROM coverage_event WHERE participant_id = :p ORDER BY id", p=pid)[-1][0]
        == "recovered"
    )

"""Re-registration starts a fresh membership; money for an ended one's months is refused; a new
mandate after a hard failure bills the stopped months again. Months checked by hand (2025: due on
15 January, 17 February, 17 March, 15 April, 15 May, 16 June); money counted at the bank."""

from datetime import date

import pytest

from billing.contributions import service as contributions
from billing.coverage import service as coverage
from billing.db import unit_of_work
from billing.errors import Conflict
from billing.mandates import service as mandates
from billing.mandates.lifecycle import MandateAction
from billing.mandates.schemas import MandateUpdate
from billing.participants.models import Participant
from billing.payments.models import ReceiptChannel
from tests.coverage.helpers import ARREARS, bill, events, member, month_statuses, nightly, pay, status
from tests.debits.world import World, enrol, rows

ENROLLED = date(2025, 1, 6)
JAN, APR, JUN = date(2025, 1, 1), date(2025, 4, 1), date(2025, 6, 1)
BACK = date(2025, 6, 20)


def _receipt(number: str, amount: int, on: date) -> contributions.ReceiptIn:
    return contributions.ReceiptIn(number, ReceiptChannel.agent, amount, on, "test")


def _contribution(engine, pid: int, period: date) -> int:  # type: ignore[no-untyped-def]
    return int(
        rows(engine, "SELECT id FROM contribution WHERE participant_id = :p AND period = :m", p=pid, m=period)[0][0]
    )


def _ended_in_may(engine) -> int:  # type: ignore[no-untyped-def]
    """January paid, February to May not: ended on 15 May."""
    pid = member(engine, ENROLLED)
    bill(engine, JAN, JUN)
    pay(engine, pid, JAN)
    nightly(engine, ENROLLED, date(2025, 6, 19))
    assert status(engine, pid) == "ended"
    return pid


def test_money_for_an_ended_membership_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    pid = _ended_in_may(engine)
    april = _contribution(engine, pid, APR)
    for attempt in (
        lambda s: contributions.record_offline_payment(s, april, _receipt("KW-1", 16_800, BACK), BACK, ARREARS),
        lambda s: contributions.prepay(s, pid, 1, _receipt("KW-2", 16_800, BACK), BACK, ARREARS),
        lambda s: contributions.waive(s, april, "banjir", BACK, ARREARS),
    ):
        with unit_of_work(engine) as s, pytest.raises(Conflict) as refused:
            attempt(s)
        assert refused.value.code == "membership_ended"
    assert month_statuses(engine, pid)["2025-04"] == "due"
    assert rows(engine, "SELECT COUNT(*) FROM receipt") == [(0,)]


def test_registering_again_is_a_fresh_membership(engine) -> None:  # type: ignore[no-untyped-def]
    """Back on 20 June with June paid at an agent: active at once, and the old arrears (February to
    May, lapsed) neither end the new membership that night nor three days later, nor can be paid."""
    pid = _ended_in_may(engine)
    with unit_of_work(engine) as s:
        participant = s.get(Participant, pid)
        assert participant is not None
        coverage.reregister(s, participant, BACK)
        s.commit()
        paid = contributions.prepay(s, pid, 1, _receipt("KW-RE", 16_800, BACK), BACK, ARREARS)
        assert [c.period for c in paid] == [JUN]
        s.commit()
    assert status(engine, pid) == "active"
    nightly(engine, BACK, date(2025, 6, 30))
    assert events(engine, pid)[-3:] == [
        ("2025-05-15", "ended", "ended", "no_payment"),
        ("2025-06-20", "reactivated", "registered", None),
        ("2025-06-20", "activated", "active", None),
    ]
    assert month_statuses(engine, pid) == {
        "2025-01": "paid",
        "2025-02": "lapsed",
        "2025-03": "lapsed",
        "2025-04": "lapsed",
        "2025-05": "lapsed",
        "2025-06": "paid",
    }
    assert rows(engine, "SELECT membership_from FROM participant WHERE id = :p", p=pid)[0][0] in (JUN, "2025-06-01")
    with unit_of_work(engine) as s, pytest.raises(Conflict) as refused:
        april = _contribution(engine, pid, APR)
        contributions.record_offline_payment(s, april, _receipt("KW-OLD", 16_800, BACK), BACK, ARREARS)
    assert refused.value.code == "membership_ended"


@pytest.mark.slow
def test_an_old_membership_is_never_debited(engine, settings) -> None:  # type: ignore[no-untyped-def]
    """Debits fail from January (no money): ended on 15 April. Registered again on 20 April with a
    funded account: April (the new membership's first month) and May are debited, January to March
    never again."""
    pid = enrol(engine, JAN, "sim_insufficient_funds")
    world = World.create(engine, settings, JAN)
    world.days(JAN, date(2025, 4, 19))
    assert status(engine, pid) == "ended"
    with unit_of_work(engine) as s:
        participant = s.get(Participant, pid)
        assert participant is not None
        coverage.reregister(s, participant, date(2025, 4, 20))
        (mandate,) = mandates.live_of_participant(s, pid)
        assert mandate.id is not None
        mandates.update(s, mandate.id, MandateUpdate(payment_method="sim_ok"), "test", date(2025, 4, 20))
        mandates.transition(s, mandate.id, MandateAction.activate, None, "test", date(2025, 4, 20))
    world.days(date(2025, 4, 20), date(2025, 5, 31))
    assert month_statuses(engine, pid) == {
        "2025-01": "lapsed",
        "2025-02": "lapsed",
        "2025-03": "lapsed",
        "2025-04": "paid",
        "2025-05": "paid",
        "2025-06": "due",  # billed ahead, debited in June
    }
    late = rows(
        engine,
        "SELECT COUNT(*) FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id JOIN job_run r"
        " ON r.id = a.run_id WHERE c.participant_id = :p AND c.period < :apr AND r.run_date >= :back",
        p=pid,
        apr=APR,
        back=date(2025, 4, 20),
    )
    assert late == [(0,)]
    assert world.gateway.bank.total_debited() == 2 * 16_800  # type: ignore[attr-defined]
    assert status(engine, pid) == "active"


def test_a_new_mandate_after_a_hard_failure_bills_the_stopped_month(engine, settings) -> None:  # type: ignore[no-untyped-def]
    """January's debit on the 5th finds the account closed: retries stop, the mandate is suspended,
    January is in arrears on the 15th. A new funded account on 20 January: January is debited that
    day and the member recovers."""
    pid = enrol(engine, JAN, "sim_account_closed")
    world = World.create(engine, settings, JAN)
    world.days(JAN, date(2025, 1, 19))
    assert rows(engine, "SELECT stopped_reason FROM debit_schedule") == [("account_closed",)]
    assert status(engine, pid) == "in_arrears"
    with unit_of_work(engine) as s:
        (mandate,) = mandates.live_of_participant(s, pid)
        assert mandate.id is not None
        mandates.update(s, mandate.id, MandateUpdate(payment_method="sim_ok"), "test", date(2025, 1, 20))
        mandates.transition(s, mandate.id, MandateAction.activate, None, "test", date(2025, 1, 20))
    world.days(date(2025, 1, 20), date(2025, 1, 31))
    assert month_statuses(engine, pid) == {"2025-01": "paid", "2025-02": "due"}  # February billed ahead
    assert world.gateway.bank.total_debited() == 16_800  # type: ignore[attr-defined]
    assert events(engine, pid)[-2:] == [
        ("2025-01-15", "entered_arrears", "in_arrears", "account_closed"),
        ("2025-01-20", "recovered", "active", None),
    ]

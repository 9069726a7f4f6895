"""Finance's view of the agents' cash and the remittances it records (``billing.agents.remittances``), on
both backends: the cash moves to the bank on the ledger, never more than an agent holds, audited."""

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from billing.agents import remittances
from billing.auth.models import ApiUser, Role
from billing.auth.service import create_user
from billing.db import unit_of_work
from billing.errors import Conflict, InvalidInput, NotFound
from billing.ledger.verify import verify
from billing.settings import Settings
from tests.agents.builders import DAY, agent, collect, rows, worker_of


def _finance(engine: Engine) -> ApiUser:
    with unit_of_work(engine) as s:
        user, _ = create_user(s, role=Role.finance, name="Keuangan")
    return user


def _remit(engine: Engine, by: ApiUser, agent_id: int, amount: int, on: date = DAY) -> int:
    with unit_of_work(engine) as s:
        made = remittances.remit(
            s, agent_id=agent_id, amount=amount, reference="TRF-1", received_on=on, by=by, today=DAY
        )
    assert made.id is not None
    return made.id


def test_cash_held_is_collected_less_remitted_and_moves_to_the_bank(engine: Engine, settings: Settings) -> None:
    budi, sari, finance = agent(engine, "budi"), agent(engine, "sari", "Agen Sari"), _finance(engine)
    assert budi.id is not None and sari.id is not None and finance.id is not None
    collect(engine, settings, budi, worker_of(engine, settings, budi.id), 2)  # Rp 25,200
    with Session(engine) as s:
        cash = {c.agent_id: (c.collected, c.commission, c.remitted, c.held) for c in remittances.cash_by_agent(s)}
    assert cash == {budi.id: (25_200, 1_890, 0, 25_200), sari.id: (0, 0, 0, 0)}

    rid = _remit(engine, finance, budi.id, 20_000)
    with pytest.raises(Conflict) as refused:
        _remit(engine, finance, budi.id, 5_201)
    assert refused.value.code == "remittance_exceeds_cash"
    _remit(engine, finance, budi.id, 5_200)
    with Session(engine) as s:
        assert remittances.cash_of(s, budi.id).held == 0
    balances = rows(
        engine,
        "SELECT debit_account, credit_account, SUM(amount) FROM ledger_transfer WHERE kind = 'remittance' "
        "GROUP BY debit_account, credit_account",
    )
    assert balances == [("bank_transfer", "cash_agent", 25_200)]
    assert rows(engine, "SELECT action, user_id, target_id FROM audit_record WHERE action = 'agents.remittance'")[
        0
    ] == (
        "agents.remittance",
        finance.id,
        str(budi.id),
    )
    assert rows(engine, "SELECT COUNT(*) FROM agent_remittance") == [(2,)]
    assert rid is not None
    with engine.connect() as conn:
        checked = verify(conn)
    assert checked.ok, checked.problems
    assert checked.balances["cash_agent"] == 0 and checked.balances["bank_transfer"] == 25_200


def test_only_agents_remit_and_not_in_the_future(engine: Engine, settings: Settings) -> None:
    finance = _finance(engine)
    assert finance.id is not None
    with pytest.raises(NotFound) as refused:
        _remit(engine, finance, finance.id, 1_000)
    assert refused.value.code == "agent_not_found"
    budi = agent(engine, "budi")
    assert budi.id is not None
    with pytest.raises(InvalidInput) as later:
        _remit(engine, finance, budi.id, 1_000, on=date(2026, 5, 5))
    assert later.value.code == "received_on_in_future"
    with pytest.raises(Conflict):
        _remit(engine, finance, budi.id, 1)  # holds nothing
    assert rows(engine, "SELECT COUNT(*) FROM ledger_transfer") == [(0,)]

"""A failed debit to work on: a participant debited on the 5th whose June attempt the engine made (or
planned), and the simulated bank that requests send through."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from billing.ledger.verify import verify
from tests.debits.world import World, rows

DAY = date(2024, 6, 5)


@dataclass
class Case:
    world: World
    participant_id: int
    contribution_id: int
    mandate_id: int
    method: str

    @property
    def bank(self) -> Any:
        return self.world.gateway.bank  # type: ignore[attr-defined]

    def charges(self) -> int:
        """Every charge that reached the bank, failed ones included."""
        return len(self.bank.charges())

    def on(self, day: date, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make ``day`` the app's today and the bank's."""
        self.world.clock.today = day
        monkeypatch.setattr("billing.settings.today", lambda: day)
        monkeypatch.setattr("billing.web.case_pages.today", lambda: day)
        for module in ("contributions", "mandates", "participants", "payments"):
            monkeypatch.setattr(f"billing.{module}.api.today", lambda: day)

    def attempts(self) -> list[tuple[Any, ...]]:
        return rows(
            self.world.engine,
            "SELECT attempt_no, trigger, status, failure_code, cancel_reason FROM debit_attempt"
            " WHERE contribution_id = :c ORDER BY attempt_no",
            c=self.contribution_id,
        )

    def proved(self) -> None:
        with self.world.engine.connect() as conn:
            result = verify(conn, self.world.gateway)
        assert result.ok, result.problems

"""The simulator's options, from ``BILLING_SIMULATOR_*`` environment variables unless passed in."""

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing.gateways.simulator.bank import Bank
from billing.gateways.simulator.faults import FaultRates
from billing.gateways.simulator.gateway import SimulatorGateway
from billing.gateways.simulator.sqlite_store import SqliteStore
from billing.gateways.simulator.store import MemoryStore, Store
from billing.timeutil import today_local

Rate = Field(default=0.0, ge=0.0, le=1.0)


class SimulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_SIMULATOR_", extra="forbid", validate_by_name=True)

    seed: int = Field(default=0, ge=0)
    # A SQLite file shared by every process using the bank; None keeps the bank in this process's memory.
    state_path: str | None = Field(default=None, validation_alias="BILLING_SIMULATOR_STATE")
    latency_ms: int = Field(default=0, ge=0)
    gateway_error_rate: float = Rate
    rate_limited_rate: float = Rate
    timeout_before_rate: float = Rate
    timeout_after_rate: float = Rate
    webhook_secret: str = "simulator-webhook-secret"
    timezone: str = "Asia/Jakarta"  # of the default clock

    @model_validator(mode="after")
    def _rates_add_up(self) -> "SimulatorSettings":
        self.fault_rates()  # raises ValueError when they add up to more than 1
        return self

    def fault_rates(self) -> FaultRates:
        return FaultRates(
            gateway_error=self.gateway_error_rate,
            rate_limited=self.rate_limited_rate,
            timeout_before=self.timeout_before_rate,
            timeout_after=self.timeout_after_rate,
        )


def from_settings(*, clock: Callable[[], date] | None = None, **options: Any) -> SimulatorGateway:
    """The entry point of the ``simulator`` gateway. ``options`` override the environment: seed,
    state_path, latency_ms, gateway_error_rate, rate_limited_rate, timeout_before_rate,
    timeout_after_rate, webhook_secret, timezone. ``clock`` gives the simulated "today" (default: the
    real date in ``timezone``); the debit engine passes its simulated day."""
    s = SimulatorSettings(**options)
    store: Store = SqliteStore(s.state_path) if s.state_path else MemoryStore()
    bank = Bank(
        store,
        clock or partial(today_local, s.timezone),
        seed=s.seed,
        faults=s.fault_rates(),
        latency_ms=s.latency_ms,
    )
    return SimulatorGateway(bank, s.webhook_secret)

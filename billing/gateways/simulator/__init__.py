"""The embedded bank simulator: the default gateway, seeded and deterministic."""

from billing.gateways.simulator.accounts import AccountSpec, Channel, Payday, PaydayKind
from billing.gateways.simulator.bank import Bank
from billing.gateways.simulator.faults import Fault, FaultRates
from billing.gateways.simulator.gateway import SimulatorGateway
from billing.gateways.simulator.population import Population
from billing.gateways.simulator.settings import SimulatorSettings, from_settings
from billing.gateways.simulator.testmethods import TEST_METHODS

__all__ = [
    "TEST_METHODS",
    "AccountSpec",
    "Bank",
    "Channel",
    "Fault",
    "FaultRates",
    "Payday",
    "PaydayKind",
    "Population",
    "SimulatorGateway",
    "SimulatorSettings",
    "from_settings",
]

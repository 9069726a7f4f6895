from pathlib import Path

import pytest

from billing.gateways.base import Gateway
from billing.gateways.registry import UnknownGateway, known_gateways, load_gateway
from billing.gateways.simulator import SimulatorGateway
from billing.mandates.schemas import MandateCreate

from .conftest import Clock, req


def test_simulator_is_registered(clock: Clock) -> None:
    assert "simulator" in known_gateways()
    gateway = load_gateway("simulator", seed=4, clock=clock)
    assert isinstance(gateway, SimulatorGateway) and isinstance(gateway, Gateway)
    assert gateway.name == "simulator" and gateway.bank.seed == 4
    assert gateway.charge(req("sim_ok", "k1")).succeeded


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownGateway, match=r"unknown payment gateway 'midtrans'; known gateways: .*simulator"):
        load_gateway("midtrans")


def install_third_party(root: Path, module: str, factory_body: str) -> None:
    """A package installed elsewhere, declaring its adapter in its own metadata: no edit of our code."""
    (root / f"{module}.py").write_text(factory_body)
    dist = root / "fakebank-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakebank\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[billing.gateways]\nfakebank = {module}:from_settings\n")


def test_third_party_gateway_found_by_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_third_party(
        tmp_path,
        "fakebank_adapter",
        "from billing.gateways.simulator import from_settings as _sim\n"
        "def from_settings(**options):\n"
        "    gateway = _sim(**options)\n"
        "    gateway.name = 'fakebank'\n"
        "    return gateway\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert {"fakebank", "simulator"} <= set(known_gateways())
    assert load_gateway("fakebank", seed=9).name == "fakebank"
    # A mandate may name it: the mandate's gateway check reads the same registry.
    mandate = {"participant_id": 1, "payment_method": "sim_ok", "channel": "bank", "display": "Fake ••••1"}
    body = MandateCreate(gateway="fakebank", debit_day=5, consent_source="api", **mandate)
    assert body.gateway == "fakebank"


def test_a_factory_must_return_a_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_third_party(tmp_path, "fakebank_broken", "def from_settings(**options):\n    return object()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TypeError, match="'fakebank' returned object, not a Gateway"):
        load_gateway("fakebank")

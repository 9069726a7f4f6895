"""Scenario files: the shipped ones are valid, a wrong one says what is wrong, and the people drawn
from them are valid, stable and charge accounts any process can rebuild."""

import json
from collections import Counter

import pytest
import yaml

from billing.gateways.simulator.population import parse_population_token
from billing.participants.identity import check_nik, normalise_phone
from billing.simulation.people import everyone
from billing.simulation.scenario import SHIPPED, load, parse, shipped
from tests.api_routes import APP


def test_shipped_scenarios_load_and_the_schema_describes_them() -> None:
    assert shipped() == ["jambi-2024", "pangkalpinang-2024", "quickstart"]
    for name in shipped():
        assert load(name).name == name
    result = APP.test_cli_runner().invoke(args=["scenario", "schema"])
    schema = json.loads(result.output)
    assert {"regions", "accounts", "sponsors", "segments", "period"} <= set(schema["properties"])
    listed = APP.test_cli_runner().invoke(args=["scenario", "list"]).output
    assert all(name in listed for name in shipped())
    # The copy beside the scenarios (for editors) is the current one.
    assert json.loads((SHIPPED / "scenario.schema.json").read_text(encoding="utf-8")) == schema


def _quickstart() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((SHIPPED / "quickstart.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["segments"][0].update(sponsor="nobody", accounts={}), "unknown sponsor"),
        (lambda d: d["segments"][0].update(accounts={"no_such_profile": 1}), "unknown account profiles"),
        (lambda d: d["segments"][0].update(region="15.04"), "not in regions"),
        (lambda d: d["segments"][0].update(sponsor="pemkot"), "either a sponsor or account profiles"),
        (lambda d: d.update(period={"from": "2024-06-30", "to": "2024-01-01"}), "before from"),
        (lambda d: d.update(surprise=1), "Extra inputs are not permitted"),
        (lambda d: d["sponsors"][0].update(starts_on="2024-05-01"), "enrols before its sponsor starts"),
    ],
)
def test_a_wrong_scenario_says_what_is_wrong(change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = _quickstart()
    change(data)
    with pytest.raises(ValueError, match=message):
        parse(json.dumps(data, default=str))


def test_people_are_valid_and_stable() -> None:
    scenario = load("quickstart")
    people = everyone(scenario, scenario.seed)
    assert len(people) == sum(s.count for s in scenario.segments)
    assert len({p.nik for p in people}) == len(people)
    for p in people:
        assert check_nik(p.nik).regency_code == p.segment.region
        normalise_phone(p.phone)
        assert p.segment.enrolled_from <= p.enrolled_on <= p.segment.enrolled_to
        if p.payment_method is not None:
            # The token alone rebuilds the account: another process sharing the bank needs nothing else.
            account = parse_population_token(p.payment_method)
            assert account is not None and account.channel == p.channel
    assert everyone(scenario, scenario.seed) == people
    other = everyone(scenario, scenario.seed + 1)
    assert [p.nik for p in other] != [p.nik for p in people]
    assert [p.payment_method for p in other] != [p.payment_method for p in people]


@pytest.mark.parametrize("seed", [7, 1, 2])
def test_how_people_pay_is_dealt_by_the_weights_on_any_seed(seed: int) -> None:
    scenario = load("quickstart")
    people = everyone(scenario, seed)
    market = next(s for s in scenario.segments if s.name == "pedagang_pasar")  # 95: 75/10/15, JHT 20%
    traders = [p for p in people if p.segment == market]
    assert Counter(p.account_profile for p in traders) == {"weekly_trader": 71, "struggling": 14, "wage_25": 10}
    weekly = [p for p in traders if p.account_profile == "weekly_trader"]
    # 71 over 5 debit days: 14 or 15 each; JHT 20% of 71: 14.
    assert sorted(Counter(p.debit_day for p in weekly).values()) == [14, 14, 14, 14, 15]
    assert sum(p.jht for p in weekly) == 14
    # One enrolment day from each 71st of the window (1 June 2022 - 20 December 2023).
    span = (market.enrolled_to - market.enrolled_from).days + 1
    days = sorted((p.enrolled_on - market.enrolled_from).days for p in weekly)
    assert all(j * span / 71 - 1 < day < (j + 1) * span / 71 for j, day in enumerate(days))
    # The accounts of a profile in a region are one stratum of the simulated bank, spread evenly.
    struggling = [parse_population_token(p.payment_method or "") for p in people if p.account_profile == "struggling"]
    assert len(struggling) == 62
    assert sum(a is not None and a.dormant_on is not None for a in struggling) in (6, 7)  # 10% of 62

"""Scenario files: the shipped ones are valid, a wrong one says what is wrong, and the people drawn
from them are valid, stable and charge accounts any process can rebuild."""

import json

import pytest
import yaml

from billing.gateways.simulator.population import parse_population_token
from billing.participants.identity import check_nik, normalise_phone
from billing.simulation.people import everyone, person
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
    # Person i of a segment does not depend on how many the segment has; the seed changes everyone.
    segment = scenario.segments[0]
    third = next(x for x in people if x.segment == segment and x.index == 3)
    assert person(scenario, scenario.seed, segment, 3) == third
    assert person(scenario, scenario.seed + 1, segment, 3).nik != person(scenario, scenario.seed, segment, 3).nik

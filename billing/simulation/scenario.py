"""A scenario: the world a simulation runs in, as a YAML (or JSON) file checked by these models.

It says which regions there are and how many people could be covered there, who enrols when (segments
of the population by ecosystem, sector, payer, debit day and bank-account profile), how the workers'
accounts behave (paydays, balances, closures, revocations: ``AccountProfile``), and which sponsor
programmes start or stop. It never says what the reports should show: ``headline`` holds the real
figures the scenario was calibrated against, for people and tests to compare, and nothing reads it
to produce a number.

``billing simulate schema`` prints the JSON Schema of these models."""

from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from billing.contributions.due_dates import DUE_DAY
from billing.gateways.simulator.accounts import PaydayKind
from billing.gateways.simulator.population import Profile
from billing.participants.models import Ecosystem, SectorCategory
from billing.sponsors.models import BudgetType, SponsorKind

Pct = Annotated[int, Field(ge=0, le=100)]
Rupiah = Annotated[int, Field(ge=0)]
Range = tuple[Rupiah, Rupiah]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionSpec(Strict):
    code: str = Field(description="Kode Kemendagri kabupaten/kota / Kemendagri regency code, e.g. 19.71")
    potential_workers: int = Field(gt=0, description="Penduduk bekerja (sudah diskala) / Working population, scaled")
    coverage_target_pct: float = Field(ge=0, le=100, description="Target UCJ / UCJ target")
    note: str = ""


class AccountProfile(Strict):
    """How a group of workers' bank or e-wallet accounts behave; the simulated bank draws each
    account from these ranges (see ``billing.gateways.simulator.population.Profile``)."""

    payday: PaydayKind
    payday_days: list[int] = Field(min_length=1, description="Day of month, or weekday 0=Monday; one is drawn")
    income: Range = Field(description="Rupiah per payday, drawn in this range")
    income_jitter_pct: Pct = 0
    lasts_pct: Range = Field(description="How long a payday's money lasts, % of the pay cycle")
    savings: Range = (0, 0)
    ewallet_pct: Pct = 0
    ewallet_limit: Rupiah = 100_000
    closed_pct: Pct = 0
    blocked_pct: Pct = 0
    dormant_pct: Pct = 0
    revoked_pct: Pct = 0
    invalid_pct: Pct = 0


class SponsorSpec(Strict):
    key: str = Field(pattern=r"^[a-z0-9_]+$", description="Name used by segments / Referred to by segments")
    name: str
    kind: SponsorKind
    budget_type: BudgetType
    region_code: str | None = None
    pays_on_day: int = Field(default=10, ge=1, le=28, description="Day it pays the month's invoice")
    starts_on: date | None = Field(default=None, description="The programme starts: its members enrol from then")
    stops_on: date | None = Field(default=None, description="Stops paying; its members' coverage ends")
    stop_reason: str = "berhenti membayar / stopped paying"


class Segment(Strict):
    """``count`` participants alike: enrolled between ``enrolled_from`` and ``enrolled_to``. Those
    enrolled before the simulation starts come with their history: every month from enrolment to the
    month before the start paid (at an agent, before this service); from the first simulated day on,
    everything that happens to them is the engine's doing."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    count: int = Field(ge=0)
    region: str
    ecosystem: Ecosystem
    sector: str
    sector_category: SectorCategory
    declared_income: int = Field(default=1_000_000, gt=0)
    jht_pct: Pct = 0
    enrolled_from: date
    enrolled_to: date
    sponsor: str | None = Field(default=None, description="A sponsor key; the others pay by auto-debit")
    # On or before the contribution's due date (the 15th), as the mandates API requires.
    debit_days: list[Annotated[int, Field(ge=1, le=DUE_DAY)]] = [5]
    accounts: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="Account profile name → weight (self-paying segments)"
    )

    @model_validator(mode="after")
    def _payer(self) -> "Segment":
        if self.enrolled_to < self.enrolled_from:
            raise ValueError("enrolled_to is before enrolled_from")
        if (self.sponsor is None) == (not self.accounts):
            raise ValueError("a segment has either a sponsor or account profiles for its auto-debits")
        return self


class Period(Strict):
    start: date = Field(alias="from")
    end: date = Field(alias="to")


class ReportRef(Strict):
    region: str
    first: str = Field(description="YYYY-MM")
    last: str = Field(description="YYYY-MM")


class Headline(Strict):
    """Real figures the scenario was calibrated against (for comparison only)."""

    source: str
    coverage_pct: dict[str, float] = Field(description="Region code → coverage % in the report's last month")
    change_pct: float | None = Field(default=None, description="Change of active participants, %")


class Scenario(Strict):
    name: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    description: str
    scale: int = Field(default=1, ge=1, description="One simulated person stands for this many")
    seed: int = Field(default=1, ge=0)
    period: Period
    year: int = Field(description="Year of the workforce figures")
    regions: list[RegionSpec] = Field(min_length=1)
    accounts: dict[str, AccountProfile]
    sponsors: list[SponsorSpec] = []
    segments: list[Segment] = Field(min_length=1)
    report: ReportRef
    headline: Headline | None = None
    format: Literal[1] = 1

    @model_validator(mode="after")
    def _references(self) -> "Scenario":
        sponsors = {s.key: s for s in self.sponsors}
        regions = {r.code for r in self.regions}
        for seg in self.segments:
            if seg.sponsor is not None and seg.sponsor not in sponsors:
                raise ValueError(f"segment {seg.name}: unknown sponsor {seg.sponsor!r}")
            starts = sponsors[seg.sponsor].starts_on if seg.sponsor else None
            if starts is not None and seg.enrolled_from < starts:
                raise ValueError(f"segment {seg.name}: enrols before its sponsor starts on {starts}")
            if unknown := set(seg.accounts) - set(self.accounts):
                raise ValueError(f"segment {seg.name}: unknown account profiles {sorted(unknown)}")
            if seg.region not in regions:
                raise ValueError(f"segment {seg.name}: region {seg.region} is not in regions")
        if len({s.name for s in self.segments}) != len(self.segments):
            raise ValueError("segment names must be unique")
        if self.period.end < self.period.start:
            raise ValueError("period: to is before from")
        return self

    def bank_profile(self, name: str) -> Profile:
        """The simulated bank's profile for account profile ``name`` (KeyError when unknown)."""
        a = self.accounts[name]
        return Profile(
            name=f"{self.name}:{name}",
            payday_kind=a.payday,
            payday_days=tuple(a.payday_days),
            income=a.income,
            income_jitter_pct=a.income_jitter_pct,
            lasts_pct=a.lasts_pct,
            savings=a.savings,
            ewallet_pct=a.ewallet_pct,
            ewallet_limit=a.ewallet_limit,
            closed_pct=a.closed_pct,
            blocked_pct=a.blocked_pct,
            dormant_pct=a.dormant_pct,
            revoked_pct=a.revoked_pct,
            invalid_pct=a.invalid_pct,
            # Closures and revocations fall inside the simulated period, where they can be seen.
            horizon_days=max(1, (self.period.end - self.period.start).days),
        )

    def history_end(self) -> date:
        """The last day before the simulation: its month is the last one paid in the history."""
        return self.period.start - timedelta(days=1)


SHIPPED = resources.files("billing.simulation") / "scenarios"


def shipped() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in SHIPPED.iterdir() if p.name.endswith(".yaml"))


def parse(text: str) -> Scenario:
    data: Any = yaml.safe_load(text)  # JSON is YAML too
    return Scenario.model_validate(data)


@cache
def load(name_or_path: str) -> Scenario:
    """A shipped scenario by name, or a file; KeyError for an unknown name."""
    if name_or_path in shipped():
        scenario = parse((SHIPPED / f"{name_or_path}.yaml").read_text(encoding="utf-8"))
    elif Path(name_or_path).is_file():
        scenario = parse(Path(name_or_path).read_text(encoding="utf-8"))
    else:
        raise KeyError(name_or_path)
    if scenario.name in shipped() and Path(name_or_path).is_file():
        raise ValueError(f"scenario file {name_or_path} reuses the shipped name {scenario.name!r}")
    _registered[scenario.name] = scenario
    return scenario


_registered: dict[str, Scenario] = {}


def bank_profile(qualified: str) -> Profile:
    """``<scenario>:<profile>`` for the simulated bank, in any process: shipped scenarios load on
    demand, a scenario read from a file is known once loaded."""
    scenario_name, _, name = qualified.partition(":")
    scenario = _registered.get(scenario_name) or (load(scenario_name) if scenario_name in shipped() else None)
    if scenario is None:
        raise KeyError(qualified)
    return scenario.bank_profile(name)

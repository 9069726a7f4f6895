"""The scenario's world acting on the service, through the same services the API uses: regions get
their workforce figures, sponsors sign up, pay their invoices and stop, people enrol and authorise
their auto-debit. Every step is safe to repeat, so a simulation killed half-way resumes."""

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from billing.contributions.due_dates import due_date_for
from billing.contributions.generation import generate
from billing.contributions.models import Contribution, ContributionStatus
from billing.contributions.service import record_paid_through
from billing.coverage.evaluation import evaluate
from billing.db import unit_of_work
from billing.mandates import service as mandates
from billing.mandates.lifecycle import MandateAction
from billing.mandates.models import MandateChannel, MandateStatus
from billing.mandates.schemas import MandateCreate
from billing.participants import service as participants
from billing.participants.models import Participant
from billing.participants.schemas import ParticipantCreate
from billing.regions.schemas import WorkforceRow
from billing.regions.service import save_workforce
from billing.simulation.people import Person
from billing.simulation.scenario import Scenario, SponsorSpec
from billing.sponsors import invoices
from billing.sponsors import service as sponsors
from billing.sponsors.models import Sponsor, SponsorInvoice, SponsorStatus
from billing.sponsors.schemas import SponsorCreate
from billing.timeutil import add_months, month_start

ACTOR = "simulation"
HISTORY_RECEIPT = "RIWAYAT-SEBELUM-SIMULASI"  # months paid before the simulated period


def set_up_regions(engine: Engine, scenario: Scenario) -> None:
    rows = [
        WorkforceRow(
            region_code=r.code,
            year=scenario.year,
            potential_workers=r.potential_workers,
            coverage_target_pct=r.coverage_target_pct,
        )
        for r in scenario.regions
    ]
    with unit_of_work(engine) as s:
        save_workforce(s, rows)


def sponsor_ids(engine: Engine, scenario: Scenario) -> dict[str, int]:
    """The scenario's sponsors by key, created on first call (looked up by name afterwards)."""
    out: dict[str, int] = {}
    with unit_of_work(engine) as s:
        for spec in scenario.sponsors:
            found = s.exec(select(Sponsor.id).where(Sponsor.name == spec.name)).first()
            if found is None:
                body = SponsorCreate(
                    name=spec.name, kind=spec.kind, budget_type=spec.budget_type, region_code=spec.region_code
                )
                found = sponsors.create(s, body).id
            assert found is not None
            out[spec.key] = found
    return out


# People enrolled per transaction: one transaction each cost a simulation a sixth of its time.
_ENROL_CHUNK = 200


def enrol(engine: Engine, people: Iterable[Person], sponsor_of: dict[str, int]) -> int:
    """Enrol each person on their enrolment day with their mandate or sponsor; returns how many were
    new. Every step is skipped when done already (found by NIK, a live mandate, a current member), so
    a killed run's people are completed here, whichever transaction it was killed in."""
    new = 0
    todo = list(people)
    for start in range(0, len(todo), _ENROL_CHUNK):
        with unit_of_work(engine) as s:
            for person in todo[start : start + _ENROL_CHUNK]:
                new += _enrol_one(s, person, sponsor_of)
    return new


def _enrol_one(s: Session, person: Person, sponsor_of: dict[str, int]) -> int:
    found = s.exec(select(Participant).where(Participant.nik == person.nik)).first()
    new = 0
    if found is None:
        found = participants.enrol(s, _participant_body(person), person.enrolled_on)
        new = 1
    assert found.id is not None
    if person.segment.sponsor is not None:
        # Adding a current member again changes nothing.
        sponsors.add_members(s, sponsor_of[person.segment.sponsor], [found.id], person.enrolled_on)
    else:
        _authorise_debit(s, person, found.id)
    return new


def _participant_body(person: Person) -> ParticipantCreate:
    seg = person.segment
    return ParticipantCreate(
        nik=person.nik,
        full_name=person.full_name,
        phone=person.phone,
        region_code=seg.region,
        ecosystem=seg.ecosystem,
        sector=seg.sector,
        sector_category=seg.sector_category,
        declared_income=seg.declared_income,
        programs=["JKK", "JKM", "JHT"] if person.jht else ["JKK", "JKM"],
        enrolment_source="agent" if seg.sponsor else "web",
    )


def _authorise_debit(s: Session, person: Person, participant_id: int) -> None:
    assert person.payment_method is not None
    live = mandates.live_of_participant(s, participant_id)
    if live:
        mandate = live[0]
    else:
        body = MandateCreate(
            participant_id=participant_id,
            gateway="simulator",
            payment_method=person.payment_method,
            channel=MandateChannel(person.channel.value),
            display=person.display,
            debit_day=person.debit_day,
            consent_source="web",
        )
        mandate = mandates.create(s, body, ACTOR, person.enrolled_on)
    assert mandate.id is not None
    if mandate.status == MandateStatus.pending:
        mandates.transition(s, mandate.id, MandateAction.activate, None, ACTOR, person.enrolled_on)


def record_history(
    engine: Engine, scenario: Scenario, people: Sequence[Person], sponsor_of: dict[str, int], arrears_months: int
) -> int:
    """The months before the simulation, month by month: the people who enrolled then (see ``enrol``),
    each billed from their enrolment month and paid at an agent (before this service ran), and the
    coverage each due date gave, so that reports see a member active from their first due date, not
    from the eve of the simulation. Returns how many contributions it marked paid."""
    eve = scenario.history_end()
    paid = 0
    month = month_start(min((p.enrolled_on for p in people), default=scenario.period.start))
    while month <= eve:
        due, following = due_date_for(month), add_months(month, 1)
        paid += _history_month(engine, [p for p in people if month <= p.enrolled_on <= due], sponsor_of, month, "a")
        if due <= eve and not _enrolled_after(engine, due):
            evaluate(engine, due, arrears_months)
        paid += _history_month(engine, [p for p in people if due < p.enrolled_on < following], sponsor_of, month, "b")
        month = following
    return paid


def _enrolled_after(engine: Engine, day: date) -> bool:
    """Whether someone enrolled after ``day`` is there already: a killed run got past this due date's
    evaluation, and running it again would date their first activation before their enrolment."""
    with unit_of_work(engine) as s:
        last = s.exec(select(func.max(Participant.enrolled_on))).one()
    return last is not None and last > day


def _history_month(engine: Engine, people: list[Person], sponsor_of: dict[str, int], month: date, part: str) -> int:
    enrol(engine, people, sponsor_of)
    with unit_of_work(engine) as s:
        generate(s, month)
        return record_paid_through(s, month, f"{HISTORY_RECEIPT}-{month:%Y%m}{part}")


def sponsors_act(engine: Engine, scenario: Scenario, sponsor_of: dict[str, int], today: date) -> list[str]:
    """What the sponsors do today: stop paying, or pay this month's invoice. One line per action."""
    done: list[str] = []
    with unit_of_work(engine) as s:
        for spec in scenario.sponsors:
            sponsor = sponsors.get(s, sponsor_of[spec.key])
            if spec.stops_on is not None and spec.stops_on <= today and sponsor.status == SponsorStatus.active:
                sponsors.stop(s, sponsor_of[spec.key], spec.stops_on, spec.stop_reason)
                done.append(f"{spec.name}: berhenti / stopped")
            elif (
                sponsor.status == SponsorStatus.active
                and today.day == spec.pays_on_day
                and (spec.starts_on is None or spec.starts_on <= today)
            ):
                paid = _pay_invoice(s, spec, sponsor_of[spec.key], today)
                done.append(f"{spec.name}: membayar {paid} iuran / paid {paid} contributions")
    return done


def _pay_invoice(s: Session, spec: SponsorSpec, sponsor_id: int, today: date) -> int:
    """The month's invoice (made now if its job has not run yet today), paid in full by a bank transfer
    that finance records; returns how many members' months it paid."""
    invoices.create_for_period(s, today)
    invoice = s.exec(
        select(SponsorInvoice).where(
            SponsorInvoice.sponsor_id == sponsor_id, SponsorInvoice.period == month_start(today)
        )
    ).first()
    if invoice is None or invoice.id is None:  # nobody of its members is billed this month
        return 0
    owed = invoices.owed(s.connection(), invoice.id)
    if owed <= 0:
        return 0
    due = invoice.member_count - _paid_lines(s, invoice)
    invoices.pay_by_transfer(
        s,
        sponsor_id,
        invoice.period,
        receipt_number=f"SP-{spec.key.upper()}-{today:%Y%m}"[:40],
        amount=owed,
        received_on=today,
        recorded_by=ACTOR,
        today=today,
    )
    return due


def _paid_lines(s: Session, invoice: SponsorInvoice) -> int:
    stmt = select(func.count()).where(
        Contribution.sponsor_id == invoice.sponsor_id,
        Contribution.period == invoice.period,
        Contribution.status != ContributionStatus.due,
    )
    return int(s.exec(stmt).one())

"""Kepulauan Bangka Belitung, January-June 2024: a scenario whose every report figure is known by hand.

All opening participants enrol on 1 November 2023 (Rp 16,800 a month), pay November and December at
an agent and are active from 31 December. Then the scheduler's jobs run through June 2024 on the
simulator's test payment methods.

Kota Pangkal Pinang (19.71), 310 active at the end of December:

| group    |   n | how they pay                              | what happens                                      |
| -------- | --: | ----------------------------------------- | ------------------------------------------------- |
| ok       | 256 | sim_ok; day 1/5/10 by turn; 1 in 8 e-wallet| stay active; ok[0..3] cancel voluntarily 20 May   |
| broke    |  14 | sim_insufficient_funds, day 5              | arrears 15 Jan, ended in April; 4 come back 3 Jun  |
| closed   |   4 | sim_account_closed                         | arrears 15 Jan (account_closed), ended in April    |
| blocked  |   2 | sim_account_blocked, e-wallet              | arrears 15 Jan (account_blocked), ended in April   |
| revoked  |   2 | sim_mandate_revoked                        | arrears 15 Jan (mandate_revoked), ended in April   |
| nopay    |   2 | no mandate                                 | arrears 15 Jan (no_payment), ended in April        |
| payday   |   5 | sim_insufficient_until_payday_25, day 5    | in arrears at each due date, recovered each 25th   |
| csr      |  20 | PT Timah Peduli Pekerja (CSR) pays         | the sponsor stops on 1 February (see below)       |
| apbd     |   5 | Pemkot Pangkal Pinang (APBD) pays          | stay active                                        |

The CSR sponsor paid January and stops on 1 February before paying February. Nobody ends that day:
from February its 20 members pay for themselves (February re-priced at the self-pay tariff, payer
``self``) and, having no mandate, pay nothing. Arrears counted from February: 1 on 15 February
(in_arrears, cause sponsor_stopped), 2 on 15 March, 3 on 15 April, 4 on 15 May: ended (kind
sponsor_stopped, from in_arrears).

Plus 10 new participants (sim_ok, e-commerce/UMKM) enrolled on 10 February. The 4 broke who come back
re-register and pay June at an agent on 3 June: the lapse evaluation activates them that day, and
the report counts that activation as a reactivation (their previous event is the re-registration).
Kabupaten Bangka (19.01): 40 ok (desa) and 6 broke (pasar) from November, 4 new (sim_ok) on 12 March.

Ecosystems in 19.71: ok by turn pasar/desa/ecommerce_umkm/rentan (64 each); broke, revoked and payday
pasar; closed desa; blocked ecommerce_umkm; nopay, csr and apbd rentan.

Days on which no job has anything to do are skipped: each month the 1st, the debit days (5, 10), the
retry days (14, 25), the due date and the last day run, plus the days something happens. Planning
catches up on anything due since, so this is what running every day gives (tests/debits runs every
day of a month)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session

from billing.contributions import service as contributions
from billing.contributions.due_dates import due_date_for
from billing.coverage import service as coverage
from billing.db import unit_of_work
from billing.mandates import service as mandates
from billing.mandates.lifecycle import MandateAction
from billing.mandates.schemas import MandateCreate
from billing.participants import service as participants
from billing.participants.models import Participant
from billing.participants.schemas import ParticipantCreate
from billing.payments.models import ReceiptChannel
from billing.regions.models import RegionWorkforce
from billing.settings import Settings
from billing.sponsors import service as sponsors
from billing.sponsors.schemas import SponsorCreate
from billing.timeutil import add_months
from schedulers import jobs
from tests.debits.world import World, mark_paid_offline
from tests.factories import participant_body

ENROLLED = date(2023, 11, 1)
OPENED = date(2023, 12, 31)
FIRST, LAST = date(2024, 1, 1), date(2024, 6, 30)
NEW_19_71, SPONSOR_STOP, NEW_19_01 = date(2024, 2, 10), date(2024, 2, 1), date(2024, 3, 12)
CANCELLED, REACTIVATED = date(2024, 5, 20), date(2024, 6, 3)
ECOSYSTEMS = ("pasar", "desa", "ecommerce_umkm", "rentan")
DEBIT_DAYS = (1, 5, 10)


@dataclass
class Ids:
    groups: dict[str, list[int]] = field(default_factory=dict)
    csr: int = 0
    apbd: int = 0

    def add(self, group: str, pid: int) -> None:
        self.groups.setdefault(group, []).append(pid)


def enrol(
    engine: Engine,
    on: date,
    method: str | None,
    *,
    region: str = "19.71",
    ecosystem: str = "pasar",
    channel: str = "bank",
    debit_day: int = 5,
) -> int:
    """One participant through the enrolment and mandate services, the mandate active at once."""
    with unit_of_work(engine) as s:
        body = participant_body(region_code=region, nik_region=region, ecosystem=ecosystem)
        p = participants.enrol(s, ParticipantCreate(**body), on)
        assert p.id is not None
        if method is not None:
            data = MandateCreate(
                participant_id=p.id,
                gateway="simulator",
                payment_method=method,
                channel=channel,
                display="BANK ••••1234",
                debit_day=debit_day,
                consent_source="agent",
            )
            m = mandates.create(s, data, "test", on)
            assert m.id is not None
            mandates.transition(s, m.id, MandateAction.activate, None, "test", on)
        return p.id


def _population(engine: Engine, ids: Ids) -> None:
    for i in range(256):
        ids.add(
            "ok",
            enrol(
                engine,
                ENROLLED,
                "sim_ok",
                ecosystem=ECOSYSTEMS[i % 4],
                channel="ewallet" if i % 8 == 7 else "bank",
                debit_day=DEBIT_DAYS[i % 3],
            ),
        )
    lapsing = (
        ("broke", 14, "sim_insufficient_funds", "pasar", "bank"),
        ("closed", 4, "sim_account_closed", "desa", "bank"),
        ("blocked", 2, "sim_account_blocked", "ecommerce_umkm", "ewallet"),
        ("revoked", 2, "sim_mandate_revoked", "pasar", "bank"),
        ("nopay", 2, None, "rentan", "bank"),
        ("payday", 5, "sim_insufficient_until_payday_25", "pasar", "bank"),
        ("csr", 20, None, "rentan", "bank"),
        ("apbd", 5, None, "rentan", "bank"),
    )
    for group, n, method, ecosystem, channel in lapsing:
        for _ in range(n):
            ids.add(group, enrol(engine, ENROLLED, method, ecosystem=ecosystem, channel=channel))
    for _ in range(40):
        ids.add("bangka_ok", enrol(engine, ENROLLED, "sim_ok", region="19.01", ecosystem="desa"))
    for _ in range(6):
        ids.add("bangka_broke", enrol(engine, ENROLLED, "sim_insufficient_funds", region="19.01"))
    with unit_of_work(engine) as s:
        ids.csr = _sponsor(s, "PT Timah Peduli Pekerja", "company", "csr", ids.groups["csr"])
        ids.apbd = _sponsor(s, "Pemerintah Kota Pangkal Pinang", "pemda", "apbd", ids.groups["apbd"])
        for code, year, potential, target_bp in (
            ("19.71", 2024, 864, 5200),
            ("19.01", 2024, 150, 5000),
            ("19", 2023, 1000, 5000),
        ):
            s.add(
                RegionWorkforce(region_code=code, year=year, potential_workers=potential, coverage_target_bp=target_bp)
            )
        s.commit()


def _sponsor(s: Session, name: str, kind: str, budget: str, members: list[int]) -> int:
    sponsor = sponsors.create(
        s,
        SponsorCreate(name=name, kind=kind, budget_type=budget, region_code="19.71"),  # type: ignore[arg-type]
    )
    assert sponsor.id is not None
    sponsors.add_members(s, sponsor.id, members, ENROLLED)
    return sponsor.id


def sponsor_pays(engine: Engine, sponsor_id: int, period: date) -> None:
    """The sponsor's monthly transfer: its members' contributions of ``period`` are paid."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE contribution SET status = 'paid', paid_via = 'sponsor', receipt_number = 'SPONSOR', "
                "paid_on = :period WHERE sponsor_id = :sponsor AND period = :period AND status = 'due'"
            ),
            {"sponsor": sponsor_id, "period": period},
        )


def cancel(engine: Engine, pid: int, on: date) -> None:
    """A voluntary cancellation (the service also revokes the debit mandate)."""
    with unit_of_work(engine) as s:
        p = s.get(Participant, pid)
        assert p is not None
        coverage.cancel(s, p, on, "test", "pindah kerja / changed jobs")
        s.commit()


def reregister(engine: Engine, pid: int, on: date) -> None:
    """Back after membership ended: registered again, this month paid at an agent the same day, so
    the day's lapse evaluation makes them active."""
    with unit_of_work(engine) as s:
        p = s.get(Participant, pid)
        assert p is not None
        coverage.reregister(s, p, on)
        s.commit()
        # 16,800: JKK and JKM of the lowest bracket, 2024 (before PP 50/2025).
        paid = contributions.ReceiptIn(f"AGEN-RE-{pid}", ReceiptChannel.agent, 16_800, on, "test")
        contributions.prepay(s, pid, 1, paid, on, arrears_months=3)


def days() -> list[date]:
    out: set[date] = {NEW_19_71, SPONSOR_STOP, NEW_19_01, CANCELLED, REACTIVATED}
    month = FIRST
    while month <= LAST:
        last = add_months(month, 1) - timedelta(days=1)
        out |= {month.replace(day=d) for d in (1, 5, 10, 14, 25)} | {due_date_for(month), last}
        month = add_months(month, 1)
    return sorted(out)


def build(engine: Engine, settings: Settings) -> Ids:
    ids = Ids()
    _population(engine, ids)
    world = World.create(engine, settings, ENROLLED)
    jobs.generate_contributions(world.ctx, ENROLLED)
    jobs.generate_contributions(world.ctx, date(2023, 12, 1))
    mark_paid_offline(engine, until=date(2023, 12, 1))
    jobs.lapse_evaluation(world.ctx, OPENED)
    for day in days():
        if day == NEW_19_71:
            for _ in range(10):
                ids.add("new", enrol(engine, day, "sim_ok", ecosystem="ecommerce_umkm"))
        if day == NEW_19_01:
            for _ in range(4):
                ids.add("bangka_new", enrol(engine, day, "sim_ok", region="19.01", ecosystem="desa"))
        if day == SPONSOR_STOP:
            with unit_of_work(engine) as s:
                sponsors.stop(s, ids.csr, day, "Perusahaan berhenti beroperasi / The company stopped operating")
        if day == CANCELLED:
            for pid in ids.groups["ok"][:4]:
                cancel(engine, pid, day)
        if day == REACTIVATED:
            for pid in ids.groups["broke"][:4]:
                reregister(engine, pid, day)
        jobs.generate_contributions(world.ctx, day)
        if day.day == 1:
            for sponsor in (ids.csr, ids.apbd) if day < SPONSOR_STOP else (ids.apbd,):
                sponsor_pays(engine, sponsor, day)
        world.day(day)
        if day == add_months(day, 1) - timedelta(days=1):
            jobs.report_snapshots(world.ctx, day)
    return ids

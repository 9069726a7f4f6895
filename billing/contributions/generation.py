"""Monthly generation, set-based so that a million participants take seconds, not hours.

1. The participants still missing the month (billable, no contribution yet), each with its payer
   from the sponsorship current on the month's first day, are staged in a temporary table.
   Its profile (declared income, JHT) is the one in force for the month (``pricing.changes_in_force``).
2. The tariff is loaded once; each distinct (declared income, JHT, sector category, payer) profile
   is quoted once in Python, into two more temporary tables (totals, lines).
3. One ``INSERT … SELECT`` creates the contributions, one more their lines.

Staging first matters: an INSERT whose SELECT anti-joins the table being filled rescans its own
new rows. The unique (participant_id, period) index is the backstop against a concurrent writer."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    exists,
    func,
    insert,
    literal,
)
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from billing.contributions.due_dates import due_date_for
from billing.contributions.models import Contribution, ContributionLine, ContributionStatus
from billing.contributions.pricing import changes_in_force
from billing.participants.models import CoverageStatus, Participant, SectorCategory
from billing.sponsors.models import Payer
from billing.sponsors.service import current_sponsorships
from billing.tariffs.service import load_tariff
from billing.tariffs.tariff import Tariff
from billing.timeutil import month_start, utcnow

BILLABLE = (CoverageStatus.registered, CoverageStatus.active, CoverageStatus.in_arrears)
# Keeps an explicit id list under the bind-parameter limits of SQLite and PostgreSQL.
ID_CHUNK = 1000
# Namespace of the PostgreSQL advisory lock that lets one run per month proceed at a time.
LOCK_NAMESPACE = 7_310_000_000
PROFILE = ("declared_income", "jht", "sector_category", "payer")

_scratch = MetaData()


def _profile_columns() -> list[Column[Any]]:
    return [
        Column("declared_income", BigInteger, nullable=False),
        Column("jht", Boolean, nullable=False),
        Column("sector_category", String(17), nullable=False),
        Column("payer", String(12), nullable=False),
    ]


MISSING = Table(
    "tmp_generation_missing",
    _scratch,
    Column("participant_id", Integer, primary_key=True),
    *_profile_columns(),
    Column("sponsor_id", Integer),
    prefixes=["TEMPORARY"],
)
QUOTE = Table(
    "tmp_generation_quote",
    _scratch,
    *_profile_columns(),
    Column("amount_due", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)
QUOTE_LINE = Table(
    "tmp_generation_quote_line",
    _scratch,
    *_profile_columns(),
    Column("program", String(3), nullable=False),
    Column("base_amount", BigInteger, nullable=False),
    Column("discount_amount", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)
SCRATCH = (MISSING, QUOTE, QUOTE_LINE)


def generate(session: Session, period: date, participant_ids: list[int] | None = None) -> int:
    """Create the missing contributions of ``period``'s month for billable participants (all, or
    those in ``participant_ids``). Returns how many were created; a rerun creates none."""
    period = month_start(period)
    tariff = load_tariff(session, period)
    _lock_month(session, period)
    with _hash_anti_join(session, participant_ids is None):
        if not _anyone_missing(session, period, participant_ids):
            return 0  # the daily run after the month's first: no scratch tables made and dropped for nothing
        conn = session.connection()
        for table in SCRATCH:
            table.drop(conn, checkfirst=True)  # left on a pooled SQLite connection by a failed run
            table.create(conn)
        # On an error the caller rolls back, which drops them on PostgreSQL (SQLite's are dropped above).
        if participant_ids is None:
            _stage_missing(session, period, None)
        else:
            for chunk in _chunks(sorted(set(participant_ids))):
                _stage_missing(session, period, chunk)
    created = _create(session, tariff)
    for table in SCRATCH:
        table.drop(conn)
    return created


@contextmanager
def _hash_anti_join(session: Session, everyone: bool) -> Iterator[None]:
    """For every participant, on PostgreSQL: a hash anti-join, whatever the statistics say. Right after a
    month's contributions were created, before autovacuum counted them, the planner expected none and
    compared every participant with every contribution of the month (a simulation's generation went
    from 2 ms to 70 ms at 1,400 participants: the comparisons grow as participants × contributions)."""
    pg = everyone and session.get_bind().dialect.name == "postgresql"
    if pg:
        session.execute(sql_text("SET LOCAL enable_nestloop = off"))
    yield  # on an error the transaction's rollback undoes the SET LOCAL
    if pg:
        session.execute(sql_text("SET LOCAL enable_nestloop = on"))


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _lock_month(session: Session, period: date) -> None:
    # A second run of the same month waits here, then finds everything already created.
    if session.get_bind().dialect.name == "postgresql":
        key = LOCK_NAMESPACE + period.year * 100 + period.month
        session.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _missing(period: date) -> list[Any]:
    """The conditions on ``Participant`` of one billable that still misses ``period``."""
    return [
        col(Participant.status).in_([s.value for s in BILLABLE]),
        # Billing starts with the membership: no month before enrolment (or re-registration).
        col(Participant.membership_from) <= period,
        ~exists().where(Contribution.participant_id == Participant.id, Contribution.period == period),
    ]


def _anyone_missing(session: Session, period: date, ids: list[int] | None) -> bool:
    stmt = select(col(Participant.id)).where(*_missing(period))
    if ids is not None:
        if len(ids) > ID_CHUNK:
            return True  # a long list: the staging's chunks will tell
        stmt = stmt.where(col(Participant.id).in_(ids))
    return session.execute(stmt.limit(1)).first() is not None


def _stage_missing(session: Session, period: date, ids: Sequence[int] | None) -> None:
    """Billable participants without a contribution for ``period``, with their payer."""
    sponsorship = current_sponsorships(period).subquery("sponsorship")
    profile = changes_in_force(period)
    stmt = (
        select(
            col(Participant.id),
            func.coalesce(profile.c.declared_income, Participant.declared_income),
            func.coalesce(profile.c.jht, Participant.jht),
            Participant.sector_category,
            func.coalesce(sponsorship.c.payer, Payer.self.value),
            sponsorship.c.sponsor_id,
        )
        .outerjoin(sponsorship, sponsorship.c.participant_id == Participant.id)
        .outerjoin(profile, profile.c.participant_id == Participant.id)
        .where(*_missing(period))
    )
    if ids is not None:
        stmt = stmt.where(col(Participant.id).in_(ids))
    columns = ["participant_id", *PROFILE, "sponsor_id"]
    session.execute(insert(MISSING).from_select(columns, stmt))


def _create(session: Session, tariff: Tariff) -> int:
    profiles = session.execute(select(*(MISSING.c[name] for name in PROFILE)).distinct()).all()
    if not profiles:
        return 0
    quotes = {
        tuple(p): tariff.quote(p.declared_income, p.jht, SectorCategory(p.sector_category), Payer(p.payer))
        for p in profiles
    }
    session.execute(
        insert(QUOTE), [dict(zip(PROFILE, key, strict=True), amount_due=q.total) for key, q in quotes.items()]
    )
    session.execute(
        insert(QUOTE_LINE),
        [
            dict(
                zip(PROFILE, key, strict=True),
                program=line.program.value,
                base_amount=line.base_amount,
                discount_amount=line.discount_amount,
                amount=line.amount,
            )
            for key, q in quotes.items()
            for line in q.lines
        ],
    )
    if session.get_bind().dialect.name == "postgresql":
        # Temporary tables get no automatic statistics; without them the planner guesses badly.
        session.execute(sql_text(f"ANALYZE {', '.join(t.name for t in SCRATCH)}"))
    created = _insert_contributions(session, tariff.period)
    _insert_lines(session, tariff.period)
    return created


def _same_profile(table: Table) -> Any:
    return and_(*(table.c[name] == MISSING.c[name] for name in PROFILE))


def _insert_contributions(session: Session, period: date) -> int:
    source = select(
        MISSING.c.participant_id,
        literal(period),
        QUOTE.c.amount_due,
        literal(due_date_for(period)),
        literal(ContributionStatus.due.value),
        MISSING.c.payer,
        MISSING.c.sponsor_id,
        literal(utcnow(), Contribution.__table__.c.created_at.type),  # type: ignore[attr-defined]
    ).join(QUOTE, _same_profile(QUOTE))
    columns = ["participant_id", "period", "amount_due", "due_date", "status", "payer", "sponsor_id", "created_at"]
    # SQLAlchemy reports an INSERT's rowcount only when asked to keep it.
    result = session.execute(
        insert(Contribution).from_select(columns, source), execution_options={"preserve_rowcount": True}
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _insert_lines(session: Session, period: date) -> None:
    source = (
        select(
            col(Contribution.id),
            QUOTE_LINE.c.program,
            QUOTE_LINE.c.base_amount,
            QUOTE_LINE.c.discount_amount,
            QUOTE_LINE.c.amount,
        )
        .select_from(MISSING)
        .join(
            Contribution, and_(Contribution.participant_id == MISSING.c.participant_id, Contribution.period == period)
        )
        .join(QUOTE_LINE, _same_profile(QUOTE_LINE))
    )
    columns = ["contribution_id", "program", "base_amount", "discount_amount", "amount"]
    session.execute(insert(ContributionLine).from_select(columns, source))

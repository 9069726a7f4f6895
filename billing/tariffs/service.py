"""Loading the tariff in force for a month from the effective-dated tables."""

from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from billing.participants.models import SectorCategory
from billing.sponsors.models import Payer
from billing.tariffs.models import DiscountRule, IncomeBracket, Program, ProgramRate, RateBase, RateKind
from billing.tariffs.tariff import MANDATORY, Bracket, Discount, Quote, Rate, Tariff, not_in_force
from billing.timeutil import month_start


def _in_force(model: Any, period: date) -> Any:
    return select(model).where(model.valid_from <= period, or_(model.valid_to.is_(None), model.valid_to >= period))


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _category(value: str | None) -> SectorCategory | None:
    return SectorCategory(value) if value else None


def load_tariff(session: Session, period: date) -> Tariff:
    """The tariff for the month holding ``period``; 422 ``tariff_not_in_force`` when the data has none."""
    period = month_start(period)
    brackets = session.exec(_in_force(IncomeBracket, period).order_by(IncomeBracket.income_floor)).all()
    rates = session.exec(_in_force(ProgramRate, period).order_by(ProgramRate.id)).all()
    rules = session.exec(_in_force(DiscountRule, period).order_by(DiscountRule.id)).all()
    # Typed here, once: the pure Tariff does not depend on how the enum columns load.
    by_program = {
        Program(r.program): Rate(
            Program(r.program), RateKind(r.kind), r.rate, RateBase(r.base) if r.base else None, r.valid_from, r.valid_to
        )
        for r in rates
    }
    if not brackets or any(p not in by_program for p in MANDATORY):
        raise not_in_force(period)
    return Tariff(
        period=period,
        brackets=tuple(
            Bracket(b.income_floor, b.income_ceiling, b.insured_wage, b.valid_from, b.valid_to) for b in brackets
        ),
        rates=by_program,
        discounts=tuple(
            Discount(
                name=d.name,
                legal_basis=d.legal_basis,
                programs=frozenset(Program(p) for p in _csv(d.programs)),
                percent_off=d.percent_off,
                sector_category=_category(d.sector_category),
                exclude_sector_category=_category(d.exclude_sector_category),
                exclude_payers=frozenset(Payer(p) for p in _csv(d.exclude_payers)),
                valid_from=d.valid_from,
                valid_to=d.valid_to,
            )
            for d in rules
        ),
    )


def quote(
    session: Session,
    *,
    declared_income: int,
    jht: bool,
    sector_category: SectorCategory,
    period: date,
    payer: Payer,
) -> Quote:
    """What one participant owes for one month."""
    return load_tariff(session, period).quote(declared_income, jht, sector_category, payer)

"""Tariff tables: effective-dated reference data seeded by migration 0002, never date branches in code.

A row is in force for a contribution month (its first day ``period``) when
``valid_from <= period`` and ``valid_to`` is NULL or ``period <= valid_to`` (both ends inclusive).
"""

from datetime import date
from enum import StrEnum

from sqlmodel import Field, SQLModel

from billing.columns import enum_field, money
from billing.participants.models import SectorCategory

REFERENCE = {"info": {"reference": True}}


class Program(StrEnum):
    JKK = "JKK"  # work accident
    JKM = "JKM"  # death
    JHT = "JHT"  # old-age savings, optional for BPU


class RateKind(StrEnum):
    percent = "percent"  # ``rate`` in basis points of the base
    flat = "flat"  # ``rate`` in whole rupiah


class RateBase(StrEnum):
    bracket = "bracket"  # the insured wage of the declared income's bracket
    declared = "declared"  # the declared monthly income itself


class IncomeBracket(SQLModel, table=True):
    """PP 44/2015 Lampiran II (as amended): declared income → insured wage. Only the lowest bracket
    (up to Rp 1,000,000 → Rp 1,000,000) is confirmed; the steps above it are uncertain configuration."""

    __tablename__ = "tariff_income_bracket"
    __table_args__ = REFERENCE

    id: int | None = Field(default=None, primary_key=True)
    valid_from: date
    valid_to: date | None = None
    income_floor: int = money()  # inclusive
    income_ceiling: int | None = money(default=None, nullable=True)  # inclusive; NULL = no upper bound
    insured_wage: int = money()


class ProgramRate(SQLModel, table=True):
    """What each programme costs before discounts."""

    __tablename__ = "tariff_program_rate"
    __table_args__ = REFERENCE

    id: int | None = Field(default=None, primary_key=True)
    program: Program = enum_field(Program)
    kind: RateKind = enum_field(RateKind)
    rate: int = money()  # basis points (percent) or rupiah (flat)
    base: RateBase | None = enum_field(RateBase, default=None, nullable=True)  # NULL for flat rates
    valid_from: date
    valid_to: date | None = None


class DiscountRule(SQLModel, table=True):
    """A relief such as PP 50/2025. At most one rule discounts a programme line: the largest wins,
    so overlapping windows never stack."""

    __tablename__ = "tariff_discount_rule"
    __table_args__ = REFERENCE

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    legal_basis: str = Field(max_length=80)
    programs: str = Field(max_length=40)  # comma list of Program values, e.g. "JKK,JKM"
    percent_off: int
    # NULL = every category, except ``exclude_sector_category`` when that is set.
    sector_category: SectorCategory | None = enum_field(SectorCategory, default=None, nullable=True)
    exclude_sector_category: SectorCategory | None = enum_field(SectorCategory, default=None, nullable=True)
    exclude_payers: str = Field(default="", max_length=80)  # comma list of Payer values
    valid_from: date
    valid_to: date | None = None

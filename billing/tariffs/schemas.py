from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from billing.participants.models import SectorCategory
from billing.participants.schemas import Program, programs_to_jht
from billing.sponsors.models import Payer
from billing.tariffs.models import RateBase, RateKind
from billing.timeutil import parse_period


def _period(value: Any) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        return parse_period(str(value))
    except ValueError as exc:
        raise ValueError("periode harus berformat YYYY-MM / period must be YYYY-MM") from exc


# A contribution month: ``YYYY-MM`` on the wire, the month's first day in code.
Period = Annotated[
    date,
    BeforeValidator(_period),
    PlainSerializer(lambda d: f"{d:%Y-%m}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "YYYY-MM"}),
]


class QuoteQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declared_income: int = Field(gt=0, le=1_000_000_000, description="Rupiah per bulan / Rupiah per month")
    programs: list[Program] = Field(
        default=["JKK", "JKM"],
        description="JKK,JKM atau JKK,JKM,JHT (dipisah koma atau diulang) / comma list or repeated",
    )
    sector: SectorCategory
    period: Period
    payer: Payer = Payer.self

    @field_validator("programs", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        # ``programs=JKK,JKM`` and ``programs=JKK&programs=JKM`` mean the same.
        items = v if isinstance(v, list) else [v]
        return [p.strip() for item in items for p in str(item).split(",") if p.strip()]

    @field_validator("programs")
    @classmethod
    def _programs(cls, v: list[str]) -> list[str]:
        programs_to_jht(v)
        return v

    @property
    def jht(self) -> bool:
        return programs_to_jht(list(self.programs))


class QuoteLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program: Program
    base_amount: int
    discount_amount: int
    amount: int
    discount_rule: str | None


class QuoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: Period
    insured_wage: int = Field(description="Upah dasar kelas penghasilan / The bracket's insured wage")
    total: int
    lines: list[QuoteLineOut]


class TariffQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period


class BracketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    income_floor: int
    income_ceiling: int | None
    insured_wage: int
    valid_from: date
    valid_to: date | None


class RateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program: Program
    kind: RateKind
    rate: int = Field(description="Basis poin (percent) atau rupiah (flat) / Basis points or rupiah")
    base: RateBase | None
    valid_from: date
    valid_to: date | None


class DiscountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    legal_basis: str
    programs: list[Program]
    percent_off: int
    sector_category: SectorCategory | None
    exclude_sector_category: SectorCategory | None
    exclude_payers: list[Payer]
    valid_from: date
    valid_to: date | None

    @field_validator("programs", "exclude_payers", mode="before")
    @classmethod
    def _sorted(cls, v: Any) -> Any:
        return sorted(v)


class TariffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: Period
    brackets: list[BracketOut]
    rates: list[RateOut]
    discounts: list[DiscountOut]

    @field_validator("rates", mode="before")
    @classmethod
    def _rates(cls, v: Any) -> Any:
        return list(v.values()) if isinstance(v, dict) else v

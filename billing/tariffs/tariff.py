"""The tariff of one month as plain values: quoting is pure arithmetic, no database, so bulk
generation loads it once and quotes each distinct participant profile once."""

from dataclasses import dataclass, field
from datetime import date

from billing.errors import InvalidInput
from billing.participants.models import SectorCategory
from billing.sponsors.models import Payer
from billing.tariffs.models import Program, RateBase, RateKind

BASIS_POINTS = 10_000
MANDATORY = (Program.JKK, Program.JKM)


def share(amount: int, numerator: int, denominator: int) -> int:
    """``amount * numerator / denominator`` in whole rupiah, half up, without floats."""
    return (amount * numerator * 2 + denominator) // (denominator * 2)


@dataclass(frozen=True)
class Bracket:
    income_floor: int
    income_ceiling: int | None
    insured_wage: int
    valid_from: date
    valid_to: date | None

    def holds(self, income: int) -> bool:
        return self.income_floor <= income and (self.income_ceiling is None or income <= self.income_ceiling)


@dataclass(frozen=True)
class Rate:
    program: Program
    kind: RateKind
    rate: int
    base: RateBase | None
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Discount:
    name: str
    legal_basis: str
    programs: frozenset[Program]
    percent_off: int
    sector_category: SectorCategory | None
    exclude_sector_category: SectorCategory | None
    exclude_payers: frozenset[Payer]
    valid_from: date
    valid_to: date | None

    def applies(self, program: Program, category: SectorCategory, payer: Payer) -> bool:
        return (
            program in self.programs
            and payer not in self.exclude_payers
            and (self.sector_category is None or self.sector_category == category)
            and (self.exclude_sector_category is None or self.exclude_sector_category != category)
        )


@dataclass(frozen=True)
class QuoteLine:
    program: Program
    base_amount: int
    discount_amount: int
    amount: int
    discount_rule: str | None


@dataclass(frozen=True)
class Quote:
    period: date
    insured_wage: int
    total: int
    lines: list[QuoteLine] = field(default_factory=list)


@dataclass(frozen=True)
class Tariff:
    """Brackets, programme rates and discount rules in force for ``period`` (a month's first day)."""

    period: date
    brackets: tuple[Bracket, ...]
    rates: dict[Program, Rate]
    discounts: tuple[Discount, ...]

    def insured_wage(self, declared_income: int) -> int:
        for bracket in self.brackets:
            if bracket.holds(declared_income):
                return bracket.insured_wage
        raise InvalidInput(
            f"Tidak ada kelas penghasilan untuk Rp {declared_income}. / No income bracket holds Rp {declared_income}.",
            code="no_income_bracket",
            errors=[{"field": "declared_income", "message": "no income bracket", "type": "no_income_bracket"}],
        )

    def quote(self, declared_income: int, jht: bool, sector_category: SectorCategory, payer: Payer) -> Quote:
        insured = self.insured_wage(declared_income)
        programs = (*MANDATORY, Program.JHT) if jht else MANDATORY
        lines = [self._line(p, insured, declared_income, sector_category, payer) for p in programs]
        return Quote(period=self.period, insured_wage=insured, total=sum(li.amount for li in lines), lines=lines)

    def discount_of(self, quote: Quote) -> Discount | None:
        """The discount rule a quote applied (PP 50/2025's window, with its end), if any."""
        names = {line.discount_rule for line in quote.lines if line.discount_rule}
        return next((d for d in self.discounts if d.name in names), None)

    def _line(self, program: Program, insured: int, declared: int, category: SectorCategory, payer: Payer) -> QuoteLine:
        rate = self.rates.get(program)
        if rate is None:
            raise not_in_force(self.period)
        if rate.kind is RateKind.flat:
            base_amount = rate.rate
        else:
            base_amount = share(insured if rate.base is RateBase.bracket else declared, rate.rate, BASIS_POINTS)
        discount = max(
            (d for d in self.discounts if d.applies(program, category, payer)),
            key=lambda d: d.percent_off,
            default=None,
        )
        off = share(base_amount, discount.percent_off, 100) if discount else 0
        return QuoteLine(
            program=program,
            base_amount=base_amount,
            discount_amount=off,
            amount=base_amount - off,
            discount_rule=discount.name if discount else None,
        )


def not_in_force(period: date) -> InvalidInput:
    return InvalidInput(
        f"Tidak ada tarif yang berlaku untuk {period:%Y-%m}. / No tariff is in force for {period:%Y-%m}.",
        code="tariff_not_in_force",
        errors=[{"field": "period", "message": "no tariff in force", "type": "tariff_not_in_force"}],
    )

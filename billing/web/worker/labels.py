"""What the workers' pages call the codes they show (Indonesian, English), and the quote sentence."""

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import g
from sqlmodel import Session

from billing.participants.models import Ecosystem, SectorCategory
from billing.sponsors.models import Payer
from billing.tariffs.service import load_tariff
from billing.tariffs.tariff import Bracket
from billing.timeutil import month_start

ECOSYSTEMS: dict[Ecosystem, tuple[str, str]] = {
    Ecosystem.desa: ("Perangkat desa, RT/RW", "Village officials, RT/RW"),
    Ecosystem.pasar: ("Pedagang pasar", "Market traders"),
    Ecosystem.ecommerce_umkm: ("Penjual online, UMKM", "Online sellers, micro businesses"),
    Ecosystem.rentan: ("Pekerja rentan", "Vulnerable workers"),
}

SECTORS: dict[SectorCategory, tuple[str, str]] = {
    SectorCategory.transport: ("Transportasi (ojol, kurir)", "Transport (ride-hailing, couriers)"),
    SectorCategory.perdagangan: ("Perdagangan", "Trade"),
    SectorCategory.pertanian: ("Pertanian, perkebunan", "Farming, plantations"),
    SectorCategory.perikanan: ("Perikanan", "Fishing"),
    SectorCategory.konstruksi: ("Konstruksi", "Construction"),
    SectorCategory.pariwisata: ("Pariwisata", "Tourism"),
    SectorCategory.pemerintahan_desa: ("Pemerintahan desa", "Village government"),
    SectorCategory.jasa: ("Jasa", "Services"),
    SectorCategory.lainnya: ("Lainnya", "Other"),
}


def lang() -> str:
    return str(g.get("lang", "id"))


def pick(pair: tuple[str, str]) -> str:
    return pair[1] if lang() == "en" else pair[0]


def bilingual(text: str) -> str:
    """One side of a message written "Indonesian / English" (the service's errors are)."""
    text = text.removeprefix("Value error, ")
    if " / " not in text:
        return text
    indonesian, _, english = text.partition(" / ")
    return english if lang() == "en" else indonesian


def _rp(amount: int) -> str:
    return "Rp " + format_decimal(amount, locale=lang())


def bracket_label(b: Bracket) -> str:
    if b.income_ceiling is None:
        return ("≥ " if lang() == "id" else "from ") + _rp(b.income_floor)
    if b.income_floor <= 0:
        return ("s.d. " if lang() == "id" else "up to ") + _rp(b.income_ceiling)
    return f"{_rp(b.income_floor)} – {_rp(b.income_ceiling)}"


def brackets(session: Session, today: date) -> list[tuple[int, str]]:
    """The income brackets of this month's tariff: (the declared income they stand for, label)."""
    return [(b.insured_wage, bracket_label(b)) for b in load_tariff(session, month_start(today)).brackets]


def quote_sentence(session: Session, income: int, jht: bool, sector: SectorCategory, today: date) -> str:
    """ "Iuran Anda Rp 8.400/bulan (…)": this month's price, and a PP 50/2025 discount with its end."""
    tariff = load_tariff(session, month_start(today))
    quote = tariff.quote(income, jht, sector, Payer.self)
    discount = tariff.discount_of(quote)
    per = "/bulan" if lang() == "id" else "/month"
    head = ("Iuran Anda " if lang() == "id" else "Your contribution: ") + _rp(quote.total) + per
    if discount is None:
        return head
    full = sum(line.base_amount for line in quote.lines)
    until = format_date(discount.valid_to, format="long", locale=lang()) if discount.valid_to else None
    if lang() == "id":
        tail = f" (potongan {discount.legal_basis} sampai {until}; tanpa potongan {_rp(full)})"
    else:
        tail = f" ({discount.legal_basis} discount until {until}; {_rp(full)} without it)"
    return head + tail

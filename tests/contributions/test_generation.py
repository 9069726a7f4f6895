from collections.abc import Iterator
from datetime import date

import pytest
from sqlmodel import select

from billing.contributions.generation import generate
from billing.db import unit_of_work
from billing.errors import InvalidInput
from billing.participants.models import CoverageStatus
from billing.sponsors.models import BudgetType
from billing.tariffs.models import ProgramRate
from tests.contributions.helpers import contributions, lines, participant, set_status, sponsor
from tests.factories import token

MAY_2026 = date(2026, 5, 1)


@pytest.fixture
def admin(app) -> str:  # type: ignore[no-untyped-def]
    return token(app, "admin")


@pytest.fixture
def people(client, engine, admin) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = {
        "trader": participant(client, admin),
        "driver_jht": participant(client, admin, sector_category="transport", programs=["JKK", "JKM", "JHT"]),
        "farmer_jht": participant(
            client, admin, sector_category="pertanian", declared_income=2_600_000, programs=["JKK", "JKM", "JHT"]
        ),
        "apbd": participant(client, admin),
        "csr": participant(client, admin),
        "arrears": participant(client, admin),
        "ended": participant(client, admin),
        "cancelled": participant(client, admin),
    }
    set_status(engine, ids["arrears"], CoverageStatus.in_arrears)
    set_status(engine, ids["ended"], CoverageStatus.ended)
    set_status(engine, ids["cancelled"], CoverageStatus.cancelled)
    ids["apbd_sponsor"] = sponsor(engine, BudgetType.apbd, [ids["apbd"]], date(2026, 1, 1))
    ids["csr_sponsor"] = sponsor(engine, BudgetType.csr, [ids["csr"]], date(2026, 1, 1))
    return ids


def test_generates_priced_contributions_for_billable_participants(engine, people) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        assert generate(s, date(2026, 5, 9)) == 6
    made = contributions(engine, MAY_2026)
    # Hand-computed for May 2026 (PP 50/2025 halves JKK and JKM, except for APBD payers; JHT never):
    assert {pid: c.amount_due for pid, c in made.items()} == {
        people["trader"]: 8_400,  # 5,000 + 3,400
        people["driver_jht"]: 28_400,  # 5,000 + 3,400 + JHT 20,000
        people["farmer_jht"]: 70_400,  # bracket 3,000,000: JKK 15,000 + 3,400 + JHT 2% of 2,600,000 = 52,000
        people["apbd"]: 16_800,  # budget-paid: full price
        people["csr"]: 8_400,  # CSR sponsors still get the discount
        people["arrears"]: 8_400,
    }
    assert lines(engine, made[people["farmer_jht"]].id) == [
        ("JHT", 52_000, 0, 52_000),
        ("JKK", 30_000, 15_000, 15_000),
        ("JKM", 6_800, 3_400, 3_400),
    ]
    apbd, trader = made[people["apbd"]], made[people["trader"]]
    assert (apbd.payer, apbd.sponsor_id) == ("sponsor_apbd", people["apbd_sponsor"])
    assert (made[people["csr"]].payer, made[people["csr"]].sponsor_id) == ("sponsor_csr", people["csr_sponsor"])
    assert (trader.payer, trader.sponsor_id, trader.status, trader.due_date) == ("self", None, "due", date(2026, 5, 15))
    for c in made.values():
        assert sum(amount for *_, amount in lines(engine, c.id)) == c.amount_due


def test_generation_is_idempotent(engine, people) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        assert generate(s, MAY_2026) == 6
        assert generate(s, MAY_2026) == 0
    assert len(contributions(engine)) == 6


def test_outside_discount_windows_full_price(engine, people) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        generate(s, date(2025, 12, 1))
        generate(s, date(2027, 2, 1))
    dec = contributions(engine, date(2025, 12, 1))
    feb = contributions(engine, date(2027, 2, 1))
    assert dec[people["trader"]].amount_due == 16_800
    assert dec[people["driver_jht"]].amount_due == 36_800
    assert dec[people["driver_jht"]].due_date == date(2025, 12, 15)
    assert feb[people["trader"]].amount_due == 16_800  # other sectors' window ended in December 2026
    assert feb[people["driver_jht"]].amount_due == 28_400  # transport's runs to March 2027


def test_only_listed_participants_and_late_enrolments(client, engine, admin, people) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        assert generate(s, MAY_2026, [people["trader"], people["ended"]]) == 1
    newcomer = participant(client, admin)
    with unit_of_work(engine) as s:
        assert generate(s, MAY_2026) == 6  # the five others and the newcomer
    assert newcomer in contributions(engine, MAY_2026)


def test_payer_is_the_sponsorship_on_the_months_first_day(engine, people) -> None:  # type: ignore[no-untyped-def]
    sponsor(engine, BudgetType.apbd, [people["trader"]], date(2026, 5, 10))
    with unit_of_work(engine) as s:
        generate(s, MAY_2026)
        generate(s, date(2026, 6, 1))
    assert contributions(engine, MAY_2026)[people["trader"]].payer == "self"
    june = contributions(engine, date(2026, 6, 1))[people["trader"]]
    assert (june.payer, june.amount_due) == ("sponsor_apbd", 16_800)


def test_no_tariff_writes_nothing(engine, people) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        generate(s, date(2010, 1, 1))
    assert contributions(engine) == {}


def test_cli_generate(app, people) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["contributions", "generate", "--period", "2026-05"])
    assert result.exit_code == 0, result.output
    assert "6 contributions created for 2026-05" in result.output
    again = runner.invoke(args=["contributions", "generate", "--period", "2026-05"])
    assert "0 contributions created" in again.output
    bad = runner.invoke(args=["contributions", "generate", "--period", "2026-5"])
    assert bad.exit_code != 0


def test_a_failed_run_leaves_nothing_and_the_next_one_works(engine, people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("billing.contributions.generation._insert_lines", broken)
    with pytest.raises(RuntimeError), unit_of_work(engine) as s:
        generate(s, MAY_2026)
    assert contributions(engine) == {}
    monkeypatch.undo()
    with unit_of_work(engine) as s:
        assert generate(s, MAY_2026) == 6


@pytest.fixture
def jkm_raised_from_july_2027(engine) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A mid-year tariff change as data: JKM Rp 6,800 until June 2027, Rp 8,000 from July (reference
    rows: put back as they were afterwards)."""
    with unit_of_work(engine) as s:
        [old] = s.exec(select(ProgramRate).where(ProgramRate.program == "JKM")).all()
        old_id = old.id
        old.valid_to = date(2027, 6, 30)
        s.add(old)
        s.add(ProgramRate(program="JKM", kind="flat", rate=8_000, base=None, valid_from=date(2027, 7, 1)))
    yield
    with unit_of_work(engine) as s:
        for row in s.exec(select(ProgramRate).where(ProgramRate.program == "JKM")).all():
            if row.id == old_id:
                row.valid_to = None
                s.add(row)
            else:
                s.delete(row)


def test_each_month_is_priced_by_the_tariff_row_valid_for_it(client, engine, admin, jkm_raised_from_july_2027) -> None:  # type: ignore[no-untyped-def]
    pid = participant(client, admin)
    with unit_of_work(engine) as s:
        for month in (5, 6, 7, 8):
            generate(s, date(2027, month, 1))
    by_month = {m: contributions(engine, date(2027, m, 1))[pid] for m in (5, 6, 7, 8)}
    # JKK 10,000 + JKM 6,800 until June; + JKM 8,000 from July.
    assert {m: c.amount_due for m, c in by_month.items()} == {5: 16_800, 6: 16_800, 7: 18_000, 8: 18_000}
    assert lines(engine, by_month[7].id) == [("JKK", 10_000, 0, 10_000), ("JKM", 8_000, 0, 8_000)]

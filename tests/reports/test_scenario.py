"""Every figure of the Bangka Belitung scenario (tests/reports/scenario.py), worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from billing.reports import service
from billing.reports.schemas import ChurnReport
from billing.reports.tables import churn_tables
from tests.conftest import BACKENDS

TODAY = date(2024, 7, 1)
# pangkal_pinang reads the scenario without naming ``bangka``: the same process as the other readers.
pytestmark = pytest.mark.xdist_group("bangka")


@pytest.fixture(scope="module", params=BACKENDS)
def pangkal_pinang(request: pytest.FixtureRequest) -> ChurnReport:
    bangka = request.getfixturevalue(f"_bangka_{request.param}")
    return service.churn_report(bangka.engine, "19.71", "2024-01", "2024-06", TODAY)


def by_value(report: ChurnReport, dimension: str) -> dict[str, tuple[int, int, int, int, int, str]]:
    """value → (opening, in, lapses, endings, closing, share of lapses)."""
    rows = next(b.rows for b in report.breakdowns if b.dimension == dimension)
    return {r.value: (r.opening, r.ins, r.lapses, r.endings, r.closing, str(r.share_pct)) for r in rows}


def test_the_waterfall_balances_to_the_fall_of_10_97_percent(pangkal_pinang: ChurnReport) -> None:
    w = pangkal_pinang.waterfall
    assert [(s.key, s.sign, s.count) for s in w.steps] == [
        ("opening", "=", 310),  # everyone enrolled in November, active from 31 December
        ("activated", "+", 10),  # the 10 enrolled on 10 February, debited that day
        ("reactivated", "+", 4),  # 4 of the broke re-register and pay on 3 June
        ("recovered", "+", 30),  # payday: 5 participants × 6 months, each 25th
        # 15 January: 14 broke + 4 closed + 2 blocked + 2 revoked + 2 nopay (24); payday 5 × 6 months (30).
        ("entered_arrears", "-", 54),
        ("ended", "-", 0),  # nobody went straight from active to ended
        ("cancelled", "-", 4),  # ok[0..3] on 20 May
        # 15 February: the CSR sponsor's 20, whose February nobody paid after the stop on 1 February. A stop
        # ends nobody: its members leave active through arrears, and that lapse is the sponsor's step.
        ("sponsor_stopped", "-", 20),
        ("closing", "=", 276),
    ]
    # Ended from in_arrears, already out of active: the 24 of January in April (January-April unpaid),
    # the CSR's 20 on 15 May (February-May unpaid).
    assert [(s.key, s.count) for s in w.info] == [("ended_from_arrears", 44), ("ended_before_paying", 0)]
    assert w.check.model_dump() == {
        "opening": 310,
        "ins": 44,
        "outs": 78,
        "computed_closing": 276,
        "closing": 276,
        "difference": 0,
        "balanced": True,
    }
    assert (w.change, w.change_pct) == (-34, Decimal("-10.97"))  # -34 / 310
    assert pangkal_pinang.opening_month == "2023-12"


def test_why_they_lapsed(pangkal_pinang: ChurnReport) -> None:
    causes = by_value(pangkal_pinang, "cause")
    assert list(causes) == [
        "insufficient_funds",
        "sponsor_stopped",
        "account_closed",
        "voluntary",
        "account_blocked",
        "mandate_revoked",
        "no_payment",
    ]
    # lapses: broke 14 + payday 30; endings: the 14 broke who ended in April (from arrears). The CSR's 20
    # entered arrears and ended with the cause sponsor_stopped: their unpaid run starts in February, the
    # month the sponsor stopped, and they paid nothing themselves since.
    assert causes["insufficient_funds"][2:4] == (44, 14)
    assert {k: v[2:] for k, v in causes.items()} == {
        "insufficient_funds": (44, 14, 0, "56.4"),
        "sponsor_stopped": (20, 20, 0, "25.6"),
        "account_closed": (4, 4, 0, "5.1"),
        "voluntary": (4, 4, 0, "5.1"),
        "account_blocked": (2, 2, 0, "2.6"),
        "mandate_revoked": (2, 2, 0, "2.6"),
        "no_payment": (2, 2, 0, "2.6"),
    }
    # Each ecosystem balances on its own: pasar = 64 ok + 14 broke + 2 revoked + 5 payday, in 30
    # recovered + 4 reactivated, out 14 + 2 + 30 + 1 cancelled; rentan loses the 20 sponsored.
    assert by_value(pangkal_pinang, "ecosystem") == {
        "desa": (68, 0, 5, 5, 63, "6.4"),
        "ecommerce_umkm": (66, 10, 3, 3, 73, "3.8"),
        "pasar": (85, 34, 47, 17, 72, "60.3"),
        "rentan": (91, 0, 23, 23, 68, "29.5"),
    }
    # The payer is the month's contribution's: the CSR's February onwards were re-priced to ``self`` at
    # the stop, but their lapse (February) and ending (May) were caused by the stop, so they count under
    # the sponsor: its row keeps its 20 at the opening (December, paid by it), 20 lapses and endings, and
    # none at the end.
    assert by_value(pangkal_pinang, "payer") == {
        "self": (285, 44, 58, 28, 271, "74.4"),
        "sponsor_apbd": (5, 0, 0, 0, 5, "0.0"),
        "sponsor_csr": (20, 0, 20, 20, 0, "25.6"),
    }
    sponsors = next(b.rows for b in pangkal_pinang.breakdowns if b.dimension == "sponsor")
    assert [(r.label_id, r.opening, r.sponsor_stopped, r.closing) for r in sponsors] == [
        ("PT Timah Peduli Pekerja", 20, 20, 0),
        ("Pemerintah Kota Pangkal Pinang", 5, 0, 5),
    ]
    # One ok participant in 8 pays by e-wallet (32), plus the 2 blocked; the sponsored have no mandate.
    assert by_value(pangkal_pinang, "channel") == {
        "bank": (249, 44, 54, 24, 239, "69.2"),
        "ewallet": (34, 0, 2, 2, 32, "2.6"),
        "none": (27, 0, 22, 22, 5, "28.2"),
    }
    # ok debit days go 1, 5, 10 in turn (86, 85, 85); every lapsing mandate debits on the 5th.
    assert by_value(pangkal_pinang, "debit_day") == {
        "1": (86, 0, 2, 2, 84, "2.6"),
        "5": (112, 44, 53, 23, 103, "67.9"),
        "10": (85, 0, 1, 1, 84, "1.3"),
        "none": (27, 0, 22, 22, 5, "28.2"),
    }
    # Months since enrolment (November): January is month 2, June month 7. Lapses: January 24 + 5 payday,
    # February 5 payday + the CSR's 20, then 5 payday a month, and in May the 4 cancelled.
    tenure = by_value(pangkal_pinang, "tenure")
    assert {k: v[2] for k, v in tenure.items() if v[2]} == {"2": 29, "3": 25, "4": 5, "5": 5, "6": 9, "7": 5}
    assert {k: v[1] for k, v in tenure.items() if v[1]} == {"0": 10, "2": 5, "3": 5, "4": 5, "5": 5, "6": 5, "7": 9}


def test_cohorts_and_debit_recovery(pangkal_pinang: ChurnReport) -> None:
    assert [(c.cohort, c.participants, [p.active for p in c.points]) for c in pangkal_pinang.cohorts] == [
        # Registered in November, active from December; at each month's end: January 310 - 24 (the 5 payday
        # are active again from the 25th), February - the CSR's 20, May - 4 cancelled, June + 4 back.
        ("2023-11", 310, [0, 310, 286, 266, 266, 266, 262, 266]),
        ("2024-02", 10, [10, 10, 10, 10, 10]),
    ]
    assert [str(p.retention_pct) for p in pangkal_pinang.cohorts[0].points][2] == "92.3"
    rec = pangkal_pinang.recovery
    # First attempts: ok 256 × 5 months + 252 in June (4 cancelled) + new 10 × 5 succeed (1,582).
    # They fail for payday 5 × 6 months (30, paid on the 25th), broke 14 × January-April (56; nobody
    # debits an ended membership) and the 8 hard failures once (their mandate is suspended): 94. The 4
    # broke back in June start a fresh membership in June, paid at the agent: their May is lapsed, never
    # debited.
    # Retries of broke: 14th, 25th, 1st for January-March; April's stop when membership ends on the
    # 15th after the 14th's. Payday: the 14th fails, the 25th succeeds.
    assert [(a.attempt_no, a.attempts, a.succeeded, a.failed, a.recovered_later) for a in rec.attempts] == [
        (1, 1676, 1582, 94, 30),
        (2, 86, 0, 86, 30),  # broke 14 × 4 + payday 30
        (3, 72, 30, 42, 0),  # broke 14 × 3 + payday 30 (paid)
        (4, 42, 0, 42, 0),  # broke 14 × 3
    ]
    assert (rec.failed_first, rec.recovered, rec.recovery_pct) == (94, 30, Decimal("31.9"))  # 30 / 94


def test_the_explanation_says_why(pangkal_pinang: ChurnReport) -> None:
    assert pangkal_pinang.explanation.id == (
        "Peserta aktif Kota Pangkal Pinang turun 10,97% (310 → 276) pada Januari–Juni 2024. "
        "Masuk 44: 10 peserta baru, 4 aktif kembali dan 30 pulih dari tunggakan; keluar 78: 54 mulai menunggak, "
        "4 berhenti sukarela dan 20 karena sponsor berhenti membayar. "
        "Dari 78 kali peserta keluar dari status aktif, 56,4% karena saldo tidak cukup, 25,6% karena sponsor "
        "berhenti membayar dan 5,1% karena rekening ditutup. "
        "PT Timah Peduli Pekerja berhenti membayar untuk 20 peserta aktif. "
        "Selain itu 44 kepesertaan berakhir setelah menunggak; mereka sudah keluar dari aktif saat mulai menunggak. "
        "94 debit pertama gagal; 30 di antaranya (31,9%) kemudian terbayar."
    )
    assert pangkal_pinang.explanation.en == (
        "Active participants in Kota Pangkal Pinang fell 10.97% (310 → 276) in January–June 2024. "
        "In 44: 10 new, 4 reactivated and 30 recovered from arrears; out 78: 54 entered arrears, "
        "4 cancelled voluntarily and 20 because a sponsor stopped paying. "
        "Causes of the 78 lapses from active: insufficient funds 56.4%, sponsor stopped paying 25.6% and "
        "account closed 5.1%. "
        "PT Timah Peduli Pekerja stopped paying for 20 active participants. "
        "Besides, 44 memberships ended after arrears; they had left active when the arrears began. "
        "94 first debits failed; 30 of them (31.9%) were paid later."
    )
    # The CSV's waterfall is the same figures, with the check row.
    columns, rows = churn_tables(pangkal_pinang)["waterfall"]
    assert columns[:3] == ["step", "sign", "count"]
    assert [r[:3] for r in rows][-3:] == [
        ["ended_from_arrears", "", 44],
        ["ended_before_paying", "", 0],
        ["check", "", 0],
    ]


def test_the_province_and_its_regencies(bangka) -> None:  # type: ignore[no-untyped-def]
    report = service.churn_report(bangka.engine, "19", "2024-01", "2024-06", TODAY)
    check = report.waterfall.check
    # Bangka (19.01): 46 active, 6 broke into arrears in January, 4 new in March.
    assert (check.opening, check.ins, check.outs, check.closing) == (356, 48, 84, 320)
    assert [
        (r.region.code, r.opening, r.closing, r.change, str(r.share_of_change_pct)) for r in report.regions[:3]
    ] == [
        ("19.71", 310, 276, -34, "94.4"),
        ("19.01", 46, 44, -2, "5.6"),
        ("19.02", 0, 0, 0, "0.0"),
    ]
    assert len(report.regions) == 7
    assert report.explanation.id.startswith("Peserta aktif Kepulauan Bangka Belitung turun 10,11% (356 → 320)")
    assert "Penyumbang penurunan terbesar: Kota Pangkal Pinang (-34; 94,4%), Kabupaten Bangka (-2; 5,6%)." in (
        report.explanation.id
    )
    assert "Largest contributors to the fall: Kota Pangkal Pinang (-34; 94.4%), Kabupaten Bangka (-2; 5.6%)." in (
        report.explanation.en
    )
    national = service.churn_report(bangka.engine, None, "2024-01", "2024-06", TODAY)
    assert (national.region.name, national.waterfall.check.closing) == ("Indonesia", 320)
    assert [(r.region.code, r.change) for r in national.regions if r.change] == [("19", -36)]


def test_coverage_against_the_target(bangka) -> None:  # type: ignore[no-untyped-def]
    report = service.coverage_report(bangka.engine, "19", "2024-01", "2024-06", TODAY)
    regions = {x.region.code: x for x in report.regions}
    assert list(regions)[:2] == ["19", "19.01"] and len(regions) == 8
    city = regions["19.71"]
    assert [(m.month, m.active, str(m.coverage_pct)) for m in city.months] == [
        ("2024-01", 286, "33.10"),  # 286 / 864
        ("2024-02", 276, "31.94"),  # + 10 new, - the CSR's 20 in arrears from 15 February
        ("2024-03", 276, "31.94"),
        ("2024-04", 276, "31.94"),
        ("2024-05", 272, "31.48"),
        ("2024-06", 276, "31.94"),
    ]
    june = city.months[-1]
    # 52% of 864 = 449.28: 449 active participants reach the target, 173 more than now.
    assert (june.target_pct, june.gap_pct, june.gap_participants) == (Decimal("52.00"), Decimal("20.06"), 173)
    assert city.trend_pp == Decimal("-1.16")
    # The province has only a 2023 figure (1,000 workers, 50%): BPS figures come late, so it is used.
    province = regions["19"].months[-1]
    assert (province.active, province.potential_workers, str(province.coverage_pct)) == (320, 1000, "32.00")
    assert (province.target_pct, province.gap_participants) == (Decimal("50.00"), 180)
    assert regions["19.02"].months[-1].coverage_pct is None  # no workforce figure: no coverage claimed
    assert report.explanation.id == (
        "Cakupan kepesertaan Kepulauan Bangka Belitung pada akhir Juni 2024: 32,00% (320 peserta aktif dari "
        "1.000 pekerja potensial). Target 50,00%: kurang 18,00 poin, atau 180 peserta aktif lagi. "
        "Sejak akhir Januari 2024: turun 0,60 poin (326 → 320 peserta aktif). "
        "Tertinggi: Kota Pangkal Pinang 31,94%; terendah: Kabupaten Bangka 29,33%."
    )
    assert report.explanation.en.startswith(
        "Coverage in Kepulauan Bangka Belitung at the end of June 2024: 32.00% (320 active participants of "
        "1,000 potential workers)."
    )

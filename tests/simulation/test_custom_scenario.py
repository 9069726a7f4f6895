"""A scenario file of one's own: read from a path, with a sponsor programme that starts during the
simulation and a drive that enrols its members."""

from pathlib import Path

from tests.simulation.figures import count, simulate

SCENARIO = """
format: 1
name: tiny-2024
title: Kecil / Tiny
description: A sponsor programme starts in February.
seed: 3
period: {from: 2024-01-01, to: 2024-02-29}
year: 2024
regions:
  - {code: "19.71", potential_workers: 40, coverage_target_pct: 52}
accounts:
  steady:
    payday: monthly
    payday_days: [1]
    income: [3000000, 4000000]
    lasts_pct: [120, 150]
    savings: [100000, 200000]
sponsors:
  - {key: pemkot, name: Pemkot Uji, kind: pemda, budget_type: apbd, region_code: "19.71",
     pays_on_day: 10, starts_on: 2024-02-01}
segments:
  - {name: mandiri, count: 5, region: "19.71", ecosystem: pasar, sector: pedagang, sector_category: perdagangan,
     enrolled_from: 2023-10-01, enrolled_to: 2023-12-15, debit_days: [3], accounts: {steady: 1}}
  - {name: tanggungan, count: 4, region: "19.71", ecosystem: rentan, sector: buruh, sector_category: jasa,
     enrolled_from: 2024-02-01, enrolled_to: 2024-02-01, sponsor: pemkot}
report: {region: "19.71", first: 2024-01, last: 2024-02}
"""


def test_a_scenario_file_with_a_sponsor_that_starts_mid_way(app, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    simulate(app, "--scenario", str(path))
    assert count(engine, "SELECT COUNT(*) FROM participant") == 9
    # Self-payers: debited on the 3rd of January and February, all paid by the steady accounts.
    assert count(engine, "SELECT COUNT(*) FROM debit_attempt WHERE status = 'succeeded'") == 10
    # The sponsor's members enrolled on February 1st, when it started; it paid their February on the 10th.
    sponsored = """SELECT COUNT(*) FROM contribution WHERE payer <> 'self' AND period = '2024-02-01'
                   AND paid_via = 'sponsor' AND paid_on = '2024-02-10'"""
    assert count(engine, sponsored) == 4
    assert count(engine, "SELECT COUNT(*) FROM contribution WHERE payer <> 'self' AND period < '2024-02-01'") == 0
    assert count(engine, "SELECT COUNT(*) FROM participant WHERE status = 'active'") == 9

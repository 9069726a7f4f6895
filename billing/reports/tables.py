"""Each report as named tables of plain values: what the CSV export, the text rendering and the tests
read. The first table of a report is its main one."""

from decimal import Decimal

from billing.reports.schemas import ChurnReport, CoverageReport, Moves

Cell = str | int | Decimal | None
Table = tuple[list[str], list[list[Cell]]]

MOVE_COLUMNS = [
    "opening",
    "activated",
    "reactivated",
    "recovered",
    "entered_arrears",
    "ended",
    "cancelled",
    "sponsor_stopped",
    "closing",
    "ins",
    "lapses",
    "endings",
    "ended_from_arrears",
    "ended_before_paying",
]
# CSV table name → breakdown dimension.
BREAKDOWN_TABLES = {
    "causes": "cause",
    "ecosystems": "ecosystem",
    "payers": "payer",
    "sponsors": "sponsor",
    "channels": "channel",
    "debit_days": "debit_day",
    "tenure": "tenure",
}


def _moves(m: Moves) -> list[Cell]:
    values = m.model_dump()
    return [values[c] for c in MOVE_COLUMNS]


def churn_tables(r: ChurnReport) -> dict[str, Table]:
    w = r.waterfall
    waterfall_rows: list[list[Cell]] = [[s.key, s.sign, s.count, s.label_id, s.label_en] for s in w.steps]
    waterfall_rows += [[s.key, "", s.count, s.label_id, s.label_en] for s in w.info]
    check = w.check
    waterfall_rows.append(
        [
            "check",
            "",
            check.difference,
            f"Periksa: {check.opening} + {check.ins} − {check.outs} = {check.computed_closing}; "
            f"aktif di akhir {check.closing}; selisih {check.difference}",
            f"Check: {check.opening} + {check.ins} − {check.outs} = {check.computed_closing}; "
            f"active at the end {check.closing}; difference {check.difference}",
        ]
    )
    out: dict[str, Table] = {"waterfall": (["step", "sign", "count", "label_id", "label_en"], waterfall_rows)}
    for name, dimension in BREAKDOWN_TABLES.items():
        rows = next(b.rows for b in r.breakdowns if b.dimension == dimension)
        out[name] = (
            ["value", "label_id", "label_en", *MOVE_COLUMNS, "share_of_lapses_pct"],
            [[x.value, x.label_id, x.label_en, *_moves(x), x.share_pct] for x in rows],
        )
    out["regions"] = (
        ["region_code", "region_name", *MOVE_COLUMNS, "change", "share_of_change_pct"],
        [[x.region.code, x.region.name, *_moves(x), x.change, x.share_of_change_pct] for x in r.regions],
    )
    out["cohorts"] = (
        ["cohort", "participants", "month", "months_since_enrolment", "active", "retention_pct"],
        [
            [c.cohort, c.participants, p.month, p.months_since, p.active, p.retention_pct]
            for c in r.cohorts
            for p in c.points
        ],
    )
    out["recovery"] = (
        ["attempt_no", "attempts", "succeeded", "failed", "recovered_later", "success_pct"],
        [
            [a.attempt_no, a.attempts, a.succeeded, a.failed, a.recovered_later, a.success_pct]
            for a in r.recovery.attempts
        ],
    )
    return out


def coverage_tables(r: CoverageReport) -> dict[str, Table]:
    columns = [
        "region_code",
        "region_name",
        "month",
        "participants",
        "active",
        "in_arrears",
        "potential_workers",
        "coverage_pct",
        "target_pct",
        "gap_pct",
        "gap_participants",
    ]
    rows: list[list[Cell]] = [
        [
            x.region.code,
            x.region.name,
            m.month,
            m.participants,
            m.active,
            m.in_arrears,
            m.potential_workers,
            m.coverage_pct,
            m.target_pct,
            m.gap_pct,
            m.gap_participants,
        ]
        for x in r.regions
        for m in x.months
    ]
    return {"coverage": (columns, rows)}


def tables_of(report: ChurnReport | CoverageReport) -> dict[str, Table]:
    return churn_tables(report) if isinstance(report, ChurnReport) else coverage_tables(report)

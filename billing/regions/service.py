import csv
from collections.abc import Iterable
from typing import TextIO

from pydantic import ValidationError
from sqlmodel import Session, select

from billing.errors import InvalidInput, NotFound, field_errors
from billing.regions.models import Region, RegionWorkforce
from billing.regions.reference import is_region
from billing.regions.schemas import WorkforceOut, WorkforceRow

CSV_COLUMNS = ("region_code", "year", "potential_workers", "coverage_target_pct")


def children(session: Session, parent: str | None) -> list[Region]:
    stmt = select(Region).order_by(Region.code)
    stmt = stmt.where(Region.parent_code == parent) if parent else stmt.where(Region.level == 1)
    return list(session.exec(stmt).all())


def get(session: Session, code: str) -> Region:
    region = session.get(Region, code)
    if region is None:
        raise NotFound(f"Wilayah {code} tidak ada. / Region {code} not found.", code="region_not_found")
    return region


def import_workforce_csv(session: Session, fh: TextIO) -> int:
    """All rows or none: every row is checked before anything is written."""
    reader = csv.DictReader(fh)
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        raise InvalidInput(
            f"Kolom CSV harus {','.join(CSV_COLUMNS)}. / CSV columns must be {','.join(CSV_COLUMNS)}.",
            code="invalid_csv_header",
        )
    rows: list[WorkforceRow] = []
    problems: list[dict[str, object]] = []
    for line, raw in enumerate(reader, start=2):
        try:
            row = WorkforceRow.model_validate(raw)
        except ValidationError as exc:
            problems += [{**e, "line": line} for e in field_errors(exc)]
            continue
        if not is_region(row.region_code):
            problems.append({"field": "region_code", "message": "unknown region", "line": line})
            continue
        rows.append(row)
    if problems:
        raise InvalidInput(
            "CSV tidak valid; tidak ada yang diimpor. / Invalid CSV; nothing was imported.",
            code="invalid_csv",
            errors=problems,
        )
    save_workforce(session, rows)
    return len(rows)


def save_workforce(session: Session, rows: Iterable[WorkforceRow]) -> None:
    """Insert or replace each region's figures for its year (rows already checked)."""
    for row in rows:
        session.merge(
            RegionWorkforce(
                region_code=row.region_code,
                year=row.year,
                potential_workers=row.potential_workers,
                coverage_target_bp=round(row.coverage_target_pct * 100),
            )
        )
    session.flush()


def workforce(session: Session, code: str) -> list[WorkforceOut]:
    get(session, code)
    rows = session.exec(
        select(RegionWorkforce).where(RegionWorkforce.region_code == code).order_by(RegionWorkforce.year)
    ).all()
    return [
        WorkforceOut(
            region_code=r.region_code,
            year=r.year,
            potential_workers=r.potential_workers,
            coverage_target_pct=r.coverage_target_bp / 100,
        )
        for r in rows
    ]

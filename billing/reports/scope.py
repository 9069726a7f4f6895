"""What a report covers: one regency, a province and its regencies, or the whole country and its
provinces. Snapshot rows are per regency; a scope is the range of regency codes it spans."""

from dataclasses import dataclass

from sqlalchemy import Connection

from billing.errors import NotFound
from billing.reports.queries import run

NATIONAL_NAME = "Indonesia"


@dataclass(frozen=True)
class Region:
    code: str  # '' for the whole country
    name: str
    level: int  # 0 the country, 1 a province, 2 a regency or city


@dataclass(frozen=True)
class Scope:
    region: Region
    children: tuple[Region, ...]  # a province's regencies, the country's provinces; none for a regency

    @property
    def bounds(self) -> dict[str, str | int]:
        """Query parameters: the regency codes ``lo..hi`` and the length of a child's code."""
        code = self.region.code
        if self.region.level == 2:
            return {"lo": code, "hi": code, "child_len": 5}
        if self.region.level == 1:
            return {"lo": f"{code}.00", "hi": f"{code}.99", "child_len": 5}
        return {"lo": "00.00", "hi": "99.99", "child_len": 2}

    def name_of(self, code: str) -> str:
        if code == self.region.code:
            return self.region.name
        return next((c.name for c in self.children if c.code == code), code)


def resolve(conn: Connection, code: str | None) -> Scope:
    """The scope of a Kemendagri code (``19``, ``19.71``), or the whole country for None."""
    rows = run(conn, "regions", scope=code or "")
    if code is None:
        return Scope(Region("", NATIONAL_NAME, 0), tuple(Region(r.code, r.name, 1) for r in rows))
    own = next((r for r in rows if r.code == code), None)
    if own is None:
        raise NotFound(f"Wilayah {code} tidak ada. / Region {code} not found.", code="region_not_found")
    children = tuple(Region(r.code, r.name, int(r.level)) for r in rows if r.parent_code == code)
    return Scope(Region(own.code, own.name, int(own.level)), children if own.level == 1 else ())

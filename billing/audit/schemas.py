from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from billing.audit.models import AuditRecord
from billing.audit.service import AuditFilter
from billing.columns import BIGINT_MAX, RowId
from billing.fields import RequestDate


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    user_id: RowId | None = Field(default=None, description="Pengguna / User id")
    action: str | None = Field(
        default=None, max_length=80, description="Awalan aksi (mis. 'staff.') / Action prefix (e.g. 'staff.')"
    )
    target_type: str | None = Field(default=None, max_length=40, description="Jenis sasaran / Target type")
    target_id: str | None = Field(default=None, max_length=64, description="Id sasaran / Target id")
    since: RequestDate | None = Field(default=None, alias="from", description="Dari tanggal (WIB) / From day (local)")
    until: RequestDate | None = Field(default=None, alias="to", description="Sampai tanggal (WIB) / To day, inclusive")
    cursor: int | None = Field(
        default=None, ge=1, le=BIGINT_MAX, description="next_cursor halaman sebelumnya / The last page's next_cursor"
    )
    limit: int = Field(default=50, ge=1, le=200, description="Baris per halaman / Rows per page")

    def to_filter(self, tz: str) -> AuditFilter:
        return AuditFilter(
            user_id=self.user_id,
            action=self.action or None,
            target_type=self.target_type or None,
            target_id=self.target_id or None,
            since=day_start(self.since, tz) if self.since else None,
            until=day_start(self.until + timedelta(days=1), tz) if self.until else None,
        )


def day_start(day: date, tz: str) -> datetime:
    """Midnight of ``day`` in the service's time zone, as UTC."""
    return datetime.combine(day, time(), ZoneInfo(tz)).astimezone(UTC)


class AuditOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    status: int | None
    channel: str
    request_id: str | None
    source_ip: str | None

    @classmethod
    def of(cls, row: AuditRecord) -> "AuditOut":
        return cls.model_validate(row, from_attributes=True)


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: int | None = Field(description="Kirim sebagai cursor untuk halaman berikut / Send as cursor for more")

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from billing.casework.models import WaiverStatus
from billing.columns import BigRowId
from billing.debits.models import AttemptStatus
from billing.fields import JsonInt

Reason = Field(
    min_length=3,
    max_length=200,
    description="Alasan tindakan, dicatat di jejak audit / Why, kept in the audit trail",
    examples=["Peserta sudah isi saldo (telepon 12 Juni)"],
)


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Reason


class RetryCreate(ReasonBody):
    expected_attempt_no: JsonInt | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Nomor percobaan terakhir yang Anda lihat; ditolak (409 case_changed) bila sudah ada yang baru / "
        "The latest attempt number you saw: refused (409 case_changed) when another was made since",
    )


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: str = Field(min_length=3, max_length=2000, examples=["Peserta berjanji bayar tunai ke agen Jumat ini"])


class WaiverRequestPath(BaseModel):
    request_id: BigRowId


class WaiverRequestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: WaiverStatus = WaiverStatus.pending


class AttemptBrief(BaseModel):
    id: int
    attempt_no: int
    idempotency_key: str
    amount: int
    status: AttemptStatus = Field(
        description="Setelah dikirim, atau 'pending' bila pekerja yang mengirim / After "
        "the send, or 'pending' when a worker sends it"
    )


class RetryOut(BaseModel):
    contribution_id: int
    status: str = Field(description="planned (percobaan baru / a new attempt) atau/or paid_by_credit")
    attempt: AttemptBrief | None = None


class ActionOut(BaseModel):
    action: str
    contribution_id: int
    status: str
    detail: dict[str, int | str | None] = {}


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contribution_id: int
    author_id: int
    body: str
    created_at: datetime


class NoteList(BaseModel):
    items: list[NoteOut]


class WaiverRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contribution_id: int
    amount: int
    reason: str
    status: WaiverStatus
    requested_by: int
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None


class WaiverRequestList(BaseModel):
    items: list[WaiverRequestOut]


class WaiverOut(BaseModel):
    contribution_id: int
    status: str = Field(description="waived (di bawah batas / at or below the limit) atau/or approval_needed")
    written_off: int | None = None
    request: WaiverRequestOut | None = None

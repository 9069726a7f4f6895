from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from billing.columns import BigRowId, RowId
from billing.contributions.service import MAX_PREPAY_MONTHS
from billing.fields import JsonInt, RequestDate, Rupiah
from billing.participants.models import CoverageStatus
from billing.tariffs.schemas import Period


class WorkerPath(BaseModel):
    participant_id: RowId


class CollectionPath(BaseModel):
    collection_id: BigRowId


class AgentPath(BaseModel):
    agent_id: RowId


class EnrolmentPath(BaseModel):
    challenge_id: BigRowId


class EnrolmentStarted(BaseModel):
    challenge_id: int = Field(description="Untuk konfirmasi / For the confirmation")
    expires_at: datetime


class EnrolmentConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(
        pattern=r"^[0-9]{6}$",
        description="Kode 6 digit dari HP pekerja / The 6-digit code from the worker's phone",
        examples=["123456"],
    )


class StatementQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: Period | None = Field(default=None, description="YYYY-MM; this month by default")


class CollectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    months: JsonInt = Field(
        ge=1,
        le=MAX_PREPAY_MONTHS,
        description="Bulan yang dibayar, tunggakan dulu / Months paid, the arrears first (oldest first)",
    )
    nonce: str = Field(
        pattern=r"^[A-Za-z0-9_-]{16,32}$",
        description="Dibuat klien, satu per setoran: dikirim ulang, tidak dicatat dua kali / Made by the client, "
        "one per collection: sent again, it is not recorded twice",
        examples=["b7Qm2c9ZkR1xV0pLs4Tn"],
    )


class WorkerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str
    region_code: str
    status: CoverageStatus
    enrolled_on: date


class WorkerList(BaseModel):
    items: list[WorkerOut]


class CollectionOut(BaseModel):
    id: int
    participant_id: int
    receipt_number: str
    amount: int
    periods: list[str] = Field(description="YYYY-MM, oldest first")
    collected_on: date
    commission_bp: int = Field(description="Tarif komisi hari itu, basis poin (750 = 7,5%) / The day's rate (bp)")
    commission: int
    participant_status: CoverageStatus


class StatementOut(BaseModel):
    agent_id: int
    month: str
    collected: int
    commission: int
    lines: list[CollectionOut]


class RemittanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Rupiah
    reference: str = Field(
        min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]*$", examples=["TRF-20260504-01"]
    )
    received_on: RequestDate | None = Field(default=None, description="Hari ini bila kosong / Today when omitted")


class RemittanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agent_id: int
    amount: int
    reference: str
    received_on: date


class AgentCashOut(BaseModel):
    agent_id: int
    name: str
    login: str | None
    collected: int
    commission: int
    remitted: int
    held: int = Field(description="Tunai yang belum disetor / Cash not yet remitted")


class AgentCashList(BaseModel):
    items: list[AgentCashOut]

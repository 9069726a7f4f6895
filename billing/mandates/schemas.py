import re
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from billing.columns import RowId
from billing.contributions.due_dates import DUE_DAY
from billing.fields import JsonInt
from billing.gateways.registry import known_gateways
from billing.mandates.models import ConsentSource, MandateChannel, MandateStatus
from billing.pagination import Page, PageQuery

_ACCOUNT_NUMBER = re.compile(r"[\d\s-]{6,}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-:.]+")
_DIGIT_RUN = re.compile(r"\d{5,}")


def _gateway(v: str) -> str:
    # The installed adapters (entry points): a third party's gateway can be named without editing ours.
    known = known_gateways()
    if v not in known:
        raise ValueError(
            f"gateway tidak dikenal; pilih {', '.join(known)} / unknown gateway; choose {', '.join(known)}"
        )
    return v


def _payment_method(v: str) -> str:
    # The bank/e-wallet account stays with the gateway: we keep only its token.
    if _ACCOUNT_NUMBER.fullmatch(v):
        raise ValueError(
            "jangan kirim nomor rekening; kirim token metode pembayaran dari gateway (contoh: pm_…) / "
            "never send a raw account number; send the gateway's payment-method token (e.g. pm_…)"
        )
    if not _TOKEN.fullmatch(v):
        raise ValueError(
            "token hanya boleh berisi huruf, angka, _ - : . / the token may hold only letters, digits, _ - : ."
        )
    return v


def _display(v: str) -> str:
    if _DIGIT_RUN.search(re.sub(r"[\s.-]", "", v)):
        raise ValueError(
            "tampilkan paling banyak 4 digit terakhir (contoh: BRI ••••1234) / "
            "show at most the last 4 digits (e.g. BRI ••••1234)"
        )
    return v


Gateway = Annotated[str, Field(examples=["simulator"]), AfterValidator(_gateway)]
PaymentMethod = Annotated[
    str, Field(min_length=1, max_length=255, examples=["sim_ok"]), AfterValidator(_payment_method)
]
Display = Annotated[str, Field(min_length=1, max_length=40, examples=["BRI ••••1234"]), AfterValidator(_display)]


def _on_or_before_due(day: int) -> int:
    # A month's contribution is due on the 15th: a later first debit would make every month late.
    if day > DUE_DAY:
        raise PydanticCustomError(
            "debit_day_after_due_date",
            f"tanggal debit paling lambat tanggal {DUE_DAY}, hari jatuh tempo iuran / "
            f"the debit day must be on or before the {DUE_DAY}th, the contribution's due date",
        )
    return day


DebitDay = Annotated[
    JsonInt,
    Field(ge=1, examples=[5], description=f"Tanggal debit 1-{DUE_DAY} / Day of month 1-{DUE_DAY}"),
    AfterValidator(_on_or_before_due),
]


class MandateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    participant_id: RowId | None = None
    sponsor_id: RowId | None = Field(default=None, validate_default=True)
    gateway: Gateway
    payment_method: PaymentMethod
    channel: MandateChannel
    display: Display
    debit_day: DebitDay
    consent_source: ConsentSource

    @field_validator("sponsor_id")
    @classmethod
    def _one_owner(cls, v: int | None, info: ValidationInfo) -> int | None:
        if "participant_id" in info.data and (info.data["participant_id"] is None) == (v is None):
            raise ValueError(
                "isi tepat satu dari participant_id atau sponsor_id / set exactly one of participant_id or sponsor_id"
            )
        return v


class MandateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    debit_day: DebitDay | None = None
    payment_method: PaymentMethod | None = None
    display: Display | None = None

    @field_validator("debit_day", "payment_method", "display", mode="before")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("tidak boleh null; hilangkan kolomnya / must not be null; leave the field out")
        return v

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(
                "kirim minimal satu dari debit_day, payment_method, display / "
                "send at least one of debit_day, payment_method, display"
            )
        return self


class MandateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    participant_id: int | None
    sponsor_id: int | None
    gateway: str
    payment_method: str
    channel: MandateChannel
    display: str
    debit_day: int
    status: MandateStatus
    status_reason: str | None
    consent_at: datetime
    consent_source: ConsentSource
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None


class MandateQuery(PageQuery):
    participant_id: RowId | None = None
    sponsor_id: RowId | None = None
    status: MandateStatus | None = None


class MandatePage(Page[MandateOut]):
    pass


class MandatePath(BaseModel):
    mandate_id: RowId


class TransitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, openapi_extra={"required": False})

    reason: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _optional_body(cls, data: Any) -> Any:
        # The body may be left out altogether.
        return {} if data is None else data


class MandateEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mandate_id: int
    from_status: MandateStatus | None
    to_status: MandateStatus
    reason: str | None
    actor: str
    occurred_on: date
    created_at: datetime


class MandateEventList(BaseModel):
    items: list[MandateEventOut]

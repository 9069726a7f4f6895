from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from billing.errors import InvalidInput
from billing.fields import JsonInt, RequestDate

# One call simulates at most this many days: the request stays within a proxy's patience.
MAX_ADVANCE_DAYS = 31


class ClockOut(BaseModel):
    scenario: str
    seed: int
    started_on: date = Field(description="Hari pertama simulasi / First simulated day")
    today: date = Field(description="Hari terakhir yang semua tugasnya sudah jalan / Last day whose jobs all ran")


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: JsonInt | None = Field(default=None, ge=1, le=MAX_ADVANCE_DAYS, description="Maju sekian hari / Days to move")
    to: RequestDate | None = Field(default=None, description="Atau sampai tanggal ini / Or up to this date")

    @model_validator(mode="after")
    def _one(self) -> "ClockAdvance":
        if self.days is not None and self.to is not None:
            raise ValueError("isi days atau to, bukan keduanya / give days or to, not both")
        return self

    def check_target(self, today: date, target: date) -> None:
        if target <= today or (target - today).days > MAX_ADVANCE_DAYS:
            raise InvalidInput(
                f"'to' harus sesudah {today} dan paling jauh {MAX_ADVANCE_DAYS} hari. / "
                f"'to' must be after {today} and at most {MAX_ADVANCE_DAYS} days ahead.",
                code="invalid_clock_target",
                errors=[{"field": "to", "message": "out of range", "type": "invalid_clock_target"}],
            )

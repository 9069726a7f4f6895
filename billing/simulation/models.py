"""The sandbox clock: the simulated "today" of a sandbox deployment, like Stripe's test clocks.
One row at most; it also records which scenario the database holds, so a simulation resumes."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from billing.columns import created_at


class SandboxClock(SQLModel, table=True):
    __tablename__ = "sandbox_clock"

    id: int = Field(default=1, primary_key=True)
    scenario: str = Field(max_length=120)
    seed: int
    started_on: date  # the first simulated day
    today: date  # the last day whose jobs have all run
    updated_at: datetime = created_at()

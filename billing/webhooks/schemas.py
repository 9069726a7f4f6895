from pydantic import BaseModel


class WebhookReceipt(BaseModel):
    received: bool = True
    duplicate: bool  # this event id was stored before: nothing done again
    attempt_id: int | None  # the debit attempt the event names, if it is one of ours
    changed: bool  # the attempt was still unsettled and took the event's outcome

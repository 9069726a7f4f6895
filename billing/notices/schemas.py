from datetime import datetime

from pydantic import BaseModel, Field

from billing.notices.models import NoticeKind
from billing.pagination import Page


class NoticeOut(BaseModel):
    id: int
    kind: NoticeKind
    text: str | None = Field(
        description="Pesan seperti dikirim; null bila tidak dapat disusun / The message as sent; null if unrenderable"
    )
    created_at: datetime
    sent_at: datetime | None
    attempts: int = Field(description="Percobaan kirim / Send attempts")


class NoticePage(Page[NoticeOut]):
    pass

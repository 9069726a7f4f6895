"""Who delivers notices. Senders are found by name through the ``billing.notice_senders`` entry-point
group (as gateways are), so an SMS or WhatsApp provider plugs in from its own package::

    [project.entry-points."billing.notice_senders"]
    mysms = "mysms_adapter:from_settings"   # a callable(**options) -> Sender

Delivery is at least once (a crash between sending and recording it sends again): a provider that
deduplicates should be given ``dedupe_key``, which is the same on every try."""

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import structlog

from billing import plugins
from billing.notices.models import NoticeKind
from billing.observability import redact

GROUP = "billing.notice_senders"


@dataclass(frozen=True, slots=True)
class OutgoingNotice:
    id: int
    participant_id: int
    kind: NoticeKind
    phone: str  # E.164, e.g. +6281234567890: personal data, never logged in clear
    dedupe_key: str


@runtime_checkable
class Sender(Protocol):
    def send(self, notice: OutgoingNotice, text: str) -> None:
        """Deliver the text to the worker; raise on failure (the notice stays unsent and is retried)."""
        ...


class LoggingSender:
    """The default: one log line per notice, the phone number masked."""

    def __init__(self) -> None:
        self._log = structlog.get_logger("billing.notices")

    def send(self, notice: OutgoingNotice, text: str) -> None:
        # Masked here, not only by the log processor, so no configuration can print them in clear.
        self._log.info(
            "notice_sent",
            notice_id=notice.id,
            participant_id=notice.participant_id,
            kind=str(notice.kind),
            to=redact(notice.phone),
            text=redact(text),
        )


def logging_sender(**_options: Any) -> Sender:
    return LoggingSender()


class UnknownSender(LookupError):
    pass


def known_senders() -> list[str]:
    return plugins.names(GROUP)


def load_sender(name: str, **options: Any) -> Sender:
    """The sender registered as ``name``, built by its factory with ``options``."""
    sender: Sender = plugins.load(GROUP, name, "notice sender", Sender, UnknownSender, **options)
    return sender

"""Who delivers one-time codes. Senders are found by name through the ``billing.otp_senders``
entry-point group (as notice senders and gateways are), so an SMS or WhatsApp provider plugs in from
its own package::

    [project.entry-points."billing.otp_senders"]
    mysms = "mysms_adapter:from_settings"   # a callable(**options) -> OtpSender

A sender is called inside the request that asked for the code, and the answer to that request must not
depend on whether a code was sent at all (an unknown NIK gets none, and must not be told so by a slower
or faster answer): a provider's ``send`` should hand the message to its own queue and return at once,
and raise only when it could not even do that (the worker then sees "try again").

``console`` is for development: it logs each message and keeps the last ones in memory, where the demo
and the tests read the code. Outside a sandbox it masks the code (a production log holds no codes)."""

from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import structlog

from billing import plugins
from billing.observability import redact
from billing.otp.models import OtpPurpose

GROUP = "billing.otp_senders"


@dataclass(frozen=True, slots=True)
class OtpMessage:
    phone: str  # E.164, e.g. +6281234567890: personal data, never logged in clear
    code: str  # the six digits: a secret, never logged outside a sandbox
    text: str  # the whole SMS/WhatsApp text, the code in it
    purpose: OtpPurpose
    challenge_id: int  # the same on every try of one message: a provider may deduplicate on it


@runtime_checkable
class OtpSender(Protocol):
    def send(self, message: OtpMessage) -> None:
        """Queue the text to the phone; raise when that failed (nothing is retried: the worker asks again)."""
        ...


class ConsoleSender:
    """Development: one log line per code, and the last ``keep`` messages in ``outbox``."""

    def __init__(self, reveal: bool = False, keep: int = 200) -> None:
        self.reveal = reveal
        self.outbox: deque[OtpMessage] = deque(maxlen=keep)
        self._log = structlog.get_logger("billing.otp")

    def send(self, message: OtpMessage) -> None:
        if self.reveal:
            self.outbox.append(message)
        self._log.info(
            "otp_sent",
            challenge_id=message.challenge_id,
            purpose=str(message.purpose),
            to=redact(message.phone),
            # The code in clear only in a sandbox, where nothing real is protected by it.
            code=message.code if self.reveal else "******",
        )

    def last_code(self, phone: str) -> str | None:
        """The newest code sent to ``phone`` (E.164): what a tester reads instead of an SMS."""
        return next((m.code for m in reversed(self.outbox) if m.phone == phone), None)


def console_sender(*, reveal: bool = False, **_options: Any) -> OtpSender:
    return ConsoleSender(reveal=reveal)


class UnknownOtpSender(LookupError):
    pass


def known_senders() -> list[str]:
    return plugins.names(GROUP)


def load_sender(name: str, **options: Any) -> OtpSender:
    """The sender registered as ``name``, built by its factory with ``options``."""
    sender: OtpSender = plugins.load(GROUP, name, "OTP sender", OtpSender, UnknownOtpSender, **options)
    return sender


def app_sender() -> OtpSender:
    """The running app's sender, built once (a provider's client keeps its connections). The console
    sender shows codes only in a sandbox."""
    from flask import current_app

    from billing.settings import current

    found: OtpSender | None = current_app.extensions.get("billing.otp_sender")
    if found is None:
        settings = current()
        found = load_sender(settings.otp_sender, reveal=settings.sandbox)
        current_app.extensions["billing.otp_sender"] = found
    return found

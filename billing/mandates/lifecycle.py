"""The mandate state machine, as data: the only place that says which status change is allowed."""

from enum import StrEnum

from billing.mandates.models import LIVE_STATUSES, MandateStatus


class MandateAction(StrEnum):
    activate = "activate"  # the gateway/OTP confirmed the consent
    suspend = "suspend"
    resume = "resume"
    revoke = "revoke"
    expire = "expire"  # the debit engine only: not offered by the API
    rebind = "rebind"  # a new payment method: a new consent, confirmed again like a first one


# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[MandateAction, tuple[frozenset[MandateStatus], MandateStatus]] = {
    MandateAction.activate: (frozenset({MandateStatus.pending}), MandateStatus.active),
    MandateAction.suspend: (frozenset({MandateStatus.active}), MandateStatus.suspended),
    MandateAction.resume: (frozenset({MandateStatus.suspended}), MandateStatus.active),
    MandateAction.revoke: (frozenset(LIVE_STATUSES), MandateStatus.revoked),
    MandateAction.expire: (frozenset({MandateStatus.active, MandateStatus.suspended}), MandateStatus.expired),
    MandateAction.rebind: (frozenset(LIVE_STATUSES), MandateStatus.pending),
}


def target(action: MandateAction, current: MandateStatus) -> tuple[MandateStatus, bool]:
    """The status ``action`` leads to, and whether it may start from ``current``."""
    sources, to = TRANSITIONS[action]
    return to, current in sources

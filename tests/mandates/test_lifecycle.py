import pytest

from billing.mandates.lifecycle import MandateAction, target
from billing.mandates.models import MandateStatus

# Hand-written from the brief: every (status, action) pair and where it leads, None = refused.
# A rebind (a new payment method) waits for its confirmation again, from any live status.
EXPECTED: dict[str, dict[str, str | None]] = {
    "pending": {
        "activate": "active",
        "suspend": None,
        "resume": None,
        "revoke": "revoked",
        "expire": None,
        "rebind": "pending",
    },
    "active": {
        "activate": None,
        "suspend": "suspended",
        "resume": None,
        "revoke": "revoked",
        "expire": "expired",
        "rebind": "pending",
    },
    "suspended": {
        "activate": None,
        "suspend": None,
        "resume": "active",
        "revoke": "revoked",
        "expire": "expired",
        "rebind": "pending",
    },
    "revoked": {"activate": None, "suspend": None, "resume": None, "revoke": None, "expire": None, "rebind": None},
    "expired": {"activate": None, "suspend": None, "resume": None, "revoke": None, "expire": None, "rebind": None},
}


@pytest.mark.parametrize("status", list(MandateStatus))
@pytest.mark.parametrize("action", list(MandateAction))
def test_transition_table(status: MandateStatus, action: MandateAction) -> None:
    to, allowed = target(action, status)
    expected = EXPECTED[status.value][action.value]
    assert (to.value if allowed else None) == expected

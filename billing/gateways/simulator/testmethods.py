"""Test payment methods with fixed behaviour, whatever the seed and the fault rates.

=================================  =============================================================
token                              behaviour
=================================  =============================================================
sim_ok                             always succeeds (a practically unlimited balance)
sim_insufficient_funds             always fails: insufficient_funds (403xx14)
sim_insufficient_until_payday_25   fails with insufficient_funds from the 1st to the 24th of a
                                   month; succeeds from the 25th to month end (payday on the
                                   25th, a bill on the 1st takes everything)
sim_account_closed                 always fails: account_closed (403xx18)
sim_account_blocked                always fails: account_blocked (403xx07 Card Blocked)
sim_account_dormant                always fails: account_blocked (403xx09 Dormant Account)
sim_invalid_account                always fails: invalid_account (404xx11)
sim_mandate_revoked                always fails: mandate_revoked (401xx02 Invalid Customer Token)
sim_limit_exceeded                 e-wallet with a per-transaction limit of Rp 5,000: any real
                                   contribution fails with limit_exceeded (403xx02)
sim_timeout_then_ok                the first call with each idempotency key charges, then times
                                   out: status unknown. lookup() and a replay of the key say
                                   succeeded; the account is debited once
sim_timeout_before_charge          the first call with each key times out before charging:
                                   status unknown, lookup() returns None, a replay charges once
sim_gateway_error_once             the first call with each key fails with gateway_error (500xx01)
                                   and is not recorded; a replay of the same key charges
sim_processing_ok                  always succeeds; the Stripe face answers ``processing`` first (a
                                   bank debit) and settles it later
=================================  =============================================================

Any other token that is neither a population token nor an account opened on the bank is an
unknown account: charges fail with invalid_account and ``attach_payment_method`` refuses it.
"""

from dataclasses import dataclass
from datetime import date

from billing.gateways.simulator.accounts import MONTHLY_25, AccountSpec, Channel
from billing.gateways.simulator.faults import Fault

UNLIMITED = 10**15
SINCE_EVER = date.min


@dataclass(frozen=True, slots=True)
class TestMethod:
    __test__ = False  # not a pytest test class

    account: AccountSpec
    first_call: Fault | None = None  # what happens to the first call with each idempotency key


def _rich(token: str) -> AccountSpec:
    return AccountSpec(token, savings=UNLIMITED)


TEST_METHODS: dict[str, TestMethod] = {
    m.account.token: m
    for m in (
        TestMethod(_rich("sim_ok")),
        TestMethod(AccountSpec("sim_insufficient_funds")),
        TestMethod(
            AccountSpec("sim_insufficient_until_payday_25", MONTHLY_25, income=UNLIMITED, bill=UNLIMITED, bill_day=1)
        ),
        TestMethod(AccountSpec("sim_account_closed", savings=UNLIMITED, closed_on=SINCE_EVER)),
        TestMethod(AccountSpec("sim_account_blocked", savings=UNLIMITED, blocked_on=SINCE_EVER)),
        TestMethod(AccountSpec("sim_account_dormant", savings=UNLIMITED, dormant_on=SINCE_EVER)),
        TestMethod(AccountSpec("sim_invalid_account", invalid=True)),
        TestMethod(AccountSpec("sim_mandate_revoked", savings=UNLIMITED, mandate_revoked_on=SINCE_EVER)),
        TestMethod(
            AccountSpec("sim_limit_exceeded", savings=UNLIMITED, channel=Channel.ewallet, per_charge_limit=5_000)
        ),
        TestMethod(_rich("sim_timeout_then_ok"), Fault.timeout_after),
        TestMethod(_rich("sim_timeout_before_charge"), Fault.timeout_before),
        TestMethod(_rich("sim_gateway_error_once"), Fault.gateway_error),
        TestMethod(_rich("sim_processing_ok")),
    )
}

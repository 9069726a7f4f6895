"""Direct-debit registrations at the simulated bank, as an Indonesian bank's auto-debit binding works:
the merchant registers the request, the account holder is sent to the bank's own page, picks the
account and confirms with the code the bank sent to their phone; the merchant learns the outcome by
asking the bank (``retrieve_setup``), never from the browser coming back.

On the simulator's page the account is one of the test methods (``sim_ok`` …), so a tester chooses how
later debits will behave; the bank's code is shown on the page (there is no phone)."""

import hashlib
import secrets
from dataclasses import dataclass

from billing.gateways.base import SetupRequest, SetupResult, SetupStatus
from billing.gateways.simulator.store import SetupRecord, Store

PAGE_PREFIX = "/simulator/bank/setup/"
MAX_WRONG_CODES = 3


@dataclass(frozen=True)
class Account:
    token: str
    label: str  # Indonesian / English


# The accounts a tester may bind, and what their debits will do (billing.gateways.simulator.testmethods).
ACCOUNTS = (
    Account("sim_ok", "Saldo cukup / Enough balance"),
    Account("sim_insufficient_funds", "Saldo selalu kurang / Never enough balance"),
    Account("sim_insufficient_until_payday_25", "Saldo ada setelah gajian tgl 25 / Funds after payday on the 25th"),
    Account("sim_account_closed", "Rekening ditutup / Account closed"),
    Account("sim_account_dormant", "Rekening dormant / Dormant account"),
    Account("sim_timeout_then_ok", "Bank lambat menjawab / The bank answers late"),
)
_TOKENS = {a.token for a in ACCOUNTS}


def result(record: SetupRecord) -> SetupResult:
    status = SetupStatus(record.status)
    return SetupResult(
        record.reference,
        status,
        PAGE_PREFIX + record.reference if status is SetupStatus.requires_action else None,
        record.payment_method,
        record.display,
        record.failure_code,
    )


def start(store: Store, req: SetupRequest) -> SetupResult:
    record = SetupRecord(
        # Random, not derived from the key: the bank's page is found by it. A replayed key gets the first one.
        reference="sim_seti_" + secrets.token_hex(8),
        idempotency_key=req.idempotency_key,
        customer=req.customer,
        channel=req.channel,
        provider=req.provider,
        max_amount=req.max_amount,
        debit_day=req.debit_day,
        return_url=req.return_url,
        otp=f"{secrets.randbelow(10**6):06d}",
        status=SetupStatus.requires_action.value,
    )
    return result(store.open_setup(record))


def confirm(store: Store, reference: str, code: str, account: str) -> SetupRecord | None:
    """The account holder's answer on the bank's page; None when there is no such pending setup. A
    wrong code counts; the third one fails the setup."""
    record = store.get_setup(reference)
    if record is None or record.status != SetupStatus.requires_action.value:
        return None
    if account not in _TOKENS or not secrets.compare_digest(code.strip(), record.otp):
        wrong = record.wrong_codes + 1
        failed = wrong >= MAX_WRONG_CODES
        record = record._replace(
            wrong_codes=wrong,
            status=SetupStatus.failed.value if failed else record.status,
            failure_code="authentication_failed" if failed else None,
        )
    else:
        last4 = int(hashlib.blake2b(reference.encode(), digest_size=2).hexdigest(), 16) % 10_000
        record = record._replace(
            status=SetupStatus.succeeded.value, payment_method=account, display=f"{record.provider} ••••{last4:04d}"
        )
    store.save_setup(record)
    return record


def decline(store: Store, reference: str) -> SetupRecord | None:
    record = store.get_setup(reference)
    if record is None or record.status != SetupStatus.requires_action.value:
        return None
    record = record._replace(status=SetupStatus.failed.value, failure_code="declined_by_payer")
    store.save_setup(record)
    return record

"""Settlement files made from the simulated bank's own records, as a bank or Stripe would send them."""

import csv
import hashlib
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from billing.gateways.base import GatewayCharge
from tests.debits.world import World

RUN_DAY = date(2024, 6, 5)  # the debit day of the world in conftest.py

BANK_HEADER = ["reference", "amount", "date", "status"]
STRIPE_HEADER = [
    "balance_transaction_id", "created_utc", "available_on_utc", "currency", "gross", "fee", "net",
    "reporting_category", "source_id", "description", "customer_facing_amount", "customer_facing_currency",
    "payment_intent_id", "payment_metadata[idempotency_key]",
]  # fmt: skip


def csv_bytes(header: list[str], rows: Iterable[list[object]], delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode()


def bank_rows(charges: Iterable[GatewayCharge]) -> list[list[object]]:
    return [[c.reference, c.amount, f"{c.day:%Y-%m-%d}", "settled"] for c in charges]


def bank_file(charges: Iterable[GatewayCharge], extra: Iterable[list[object]] = ()) -> bytes:
    return csv_bytes(BANK_HEADER, [*bank_rows(charges), *extra])


def stripe_row(reference: str, key: str | None, rupiah: int, day: object, category: str = "charge") -> list[object]:
    """One balance transaction as the itemized report prints it: major units ("16800.00"), UTC times."""
    txn = "txn_" + hashlib.blake2b(f"{reference}:{category}".encode(), digest_size=12).hexdigest()
    created = datetime.combine(day, time(3, 0), UTC)  # type: ignore[arg-type]
    fee = round(rupiah * 0.007) if category == "charge" else 0
    return [
        txn, f"{created:%Y-%m-%d %H:%M:%S}", f"{created:%Y-%m-%d} 00:00:00", "idr", f"{rupiah}.00", f"{fee}.00",
        f"{rupiah - fee}.00", category, "ch_" + reference[-24:], "Iuran BPU", f"{rupiah}.00", "idr",
        reference, key or "",
    ]  # fmt: skip


def stripe_file(charges: Iterable[GatewayCharge], extra: Iterable[list[object]] = ()) -> bytes:
    rows = [stripe_row(c.reference, c.idempotency_key, c.amount, c.day) for c in charges]
    return csv_bytes(STRIPE_HEADER, [*rows, *extra])


def charges(world: World) -> list[GatewayCharge]:
    """The bank's successful charges of the debit day."""
    found = sorted(world.gateway.charges(), key=lambda c: c.reference)
    assert len(found) == 3 and {c.day for c in found} == {RUN_DAY}
    return found

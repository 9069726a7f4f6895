"""Reading settlement files, without a database: Stripe's major units, times to the service's day,
the bank's words for a status, and what is refused."""

from datetime import date

import pytest

from billing.errors import InvalidInput
from billing.reconciliation.models import SettlementFormat
from billing.reconciliation.parsers import LineError, parse, rupiah

TZ = "Asia/Jakarta"


@pytest.mark.parametrize(("given", "expected"), [("16800", 16_800), ("16800.00", 16_800), ("-36800.0", -36_800)])
def test_rupiah_in_major_units(given: str, expected: int) -> None:
    assert rupiah(given, "gross") == expected


@pytest.mark.parametrize("given", ["16.800", "16,800", "16800.5", "1680000.01", "Rp16800", "", "1e4", "16800.000"])
def test_what_is_not_whole_rupiah(given: str) -> None:
    with pytest.raises(LineError):
        rupiah(given, "amount")


def test_a_stripe_report() -> None:
    data = (
        b"balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,"
        b"payment_intent_id,payment_metadata[idempotency_key],automatic_payout_id\n"
        # 20:00 UTC on the 4th is 03:00 on the 5th in Jakarta.
        b"txn_1,2024-06-04 20:00:00,idr,16800.00,118.00,16682.00,charge,ch_1,pi_1,ct1-1,po_1\n"
        b"txn_2,2024-06-05 01:00:00,IDR,-16800.00,0.00,-16800.00,refund,re_1,pi_1,,po_1\n"
        b"txn_3,2024-06-06 01:00:00,idr,-16564.00,0.00,-16564.00,payout,po_1,,,\n"
    )
    parsed = parse(data, TZ)
    assert parsed.format is SettlementFormat.stripe
    charge, refund, payout = parsed.lines
    assert (charge.line_key, charge.reference, charge.idempotency_key, charge.day) == (
        "txn_1",
        "pi_1",
        "ct1-1",
        date(2024, 6, 5),
    )
    assert (charge.amount, charge.fee, charge.net, charge.counted) == (16_800, 118, 16_682, True)
    assert (refund.amount, refund.counted, payout.reference, payout.counted) == (-16_800, False, "po_1", False)
    assert (parsed.first_day, parsed.last_day) == (date(2024, 6, 5), date(2024, 6, 6))


def test_a_stripe_report_in_local_time() -> None:
    data = (
        b"balance_transaction_id,created,currency,gross,reporting_category\ntxn_1,2024-06-05 23:30:00,idr,1.00,charge\n"
    )
    assert parse(data, TZ).lines[0].day == date(2024, 6, 5)


def test_a_bank_file_with_a_bom_extra_columns_and_repeats() -> None:
    data = (
        "\ufeffReference,Amount,Date,Status,Keterangan\n"
        "sim_ch_a,16800,2024-06-05,SETTLED,iuran\n"
        "sim_ch_a,16800,2024-06-05,settled,lagi\n"
        "sim_ch_b,16800,06/06/2024,gagal,saldo kurang\n"
    ).encode()
    lines = parse(data, TZ).lines
    assert [(line.line_key, line.counted) for line in lines] == [
        ("2024-06-05:settled:sim_ch_a#1", True),
        ("2024-06-05:settled:sim_ch_a#2", True),
        ("2024-06-06:gagal:sim_ch_b#1", False),
    ]


def test_every_bad_line_is_named() -> None:
    data = (
        b"reference,amount,date,status\n"
        b",16800,2024-06-05,settled\n"
        b"a,16800,2024-06-05\n"
        b"b,0,2024-06-05,settled\n"
        b"c,16800,2024-06-05,settled\n"
    )
    with pytest.raises(InvalidInput) as caught:
        parse(data, TZ)
    assert [(e["line"], e["field"], e["type"]) for e in caught.value.errors or []] == [
        (2, "reference", "missing"),
        (3, None, "wrong_cells"),
        (4, "amount", "bad_amount"),
    ]
    assert "3" in caught.value.detail


def test_a_repeated_balance_transaction_is_refused() -> None:
    line = b"txn_1,2024-06-05 01:00:00,idr,1.00,charge\n"
    data = b"balance_transaction_id,created_utc,currency,gross,reporting_category\n" + line + line
    with pytest.raises(InvalidInput) as caught:
        parse(data, TZ)
    assert [(e["line"], e["type"]) for e in caught.value.errors or []] == [(3, "duplicate")]


def test_duplicate_columns_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(b"reference,amount,amount,date,status\n", TZ)
    assert caught.value.code == "settlement_header_invalid"

"""``GET /api/v1/debit-attempts``: which months are in the queue, each filter narrowing to the rows
picked by hand, every order with keyset pages that neither repeat nor skip a row, the totals, and bad
filters answered 422."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from billing import db
from billing.auth.models import ApiUser, Role
from billing.auth.service import create_user
from billing.failed_debits import assignment
from billing.failed_debits.schemas import SortKey
from tests.factories import auth
from tests.failed_debits.builders import Attempt, Month, build_all

MAR5, MAR14, MAR25, APR1 = date(2026, 3, 5), date(2026, 3, 14), date(2026, 3, 25), date(2026, 4, 1)

MONTHS = [
    Month("Ani"),
    Month(
        "Budi",
        region="19.01",
        ecosystem="desa",
        channel="ewallet",
        gateway="stripe",
        display="GoPay ••••0002",
        amount=36_800,
        attempts=[Attempt(), Attempt(code="limit_exceeded", on=MAR14)],
        next_retry=MAR25,
    ),
    Month(
        "Citra",
        region="15.71",
        ecosystem="rentan",
        amount=8_400,
        attempts=[Attempt(code="account_closed")],
        next_retry=None,
        stopped="account_closed",
    ),
    Month(
        "Dedi",
        region="15.04",
        ecosystem="ecommerce_umkm",
        attempts=[Attempt(), Attempt(on=MAR14), Attempt(on=MAR25), Attempt(on=APR1)],
        next_retry=None,
        stopped="max_attempts",
    ),
    Month("Eka", region="64.74", attempts=[Attempt(status="unknown", code=None)], next_retry=None),
    # Not in the queue: paid by a retry, waived.
    Month("Fajar", attempts=[Attempt(), Attempt(status="succeeded", code=None, on=MAR14)], status="paid"),
    Month("Gita", status="waived"),
    # In it with their failed attempt: the later one was cancelled unsent, or is not answered yet.
    Month("Hadi", attempts=[Attempt(), Attempt(status="cancelled", code=None, on=MAR14)]),
    Month("Indah", attempts=[Attempt(), Attempt(status="pending", code=None, on=MAR14)]),
    Month(
        "Joko",
        period=date(2026, 2, 1),
        older_unpaid=[date(2026, 1, 1)],
        attempts=[Attempt(code="do_not_honor", on=date(2026, 2, 5))],
    ),
]
QUEUE = {"Ani", "Budi", "Citra", "Dedi", "Eka", "Hadi", "Indah", "Joko"}


@pytest.fixture
def world(app, engine) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    ids = build_all(engine, MONTHS)
    with db.unit_of_work(engine) as s:
        finance, finance_token = create_user(s, role=Role.finance, name="Fina")
        admin, _ = create_user(s, role=Role.admin, name="Adi")
        _, manager_token = create_user(s, role=Role.manager, name="Mira")
        assert finance.id and admin.id
        assignment.assign(s, [ids["Ani"]], finance.id, finance, "saya tangani")
        assignment.assign(s, [ids["Budi"]], admin.id, finance, "untuk admin")
        s.connection().execute(
            text(
                "INSERT INTO sponsor (name, kind, budget_type, region_code, status, created_at)"
                " VALUES ('CSR Timah', 'company', 'csr', '19.71', 'active', CURRENT_TIMESTAMP)"
            )
        )
        sponsor = s.connection().execute(text("SELECT id FROM sponsor")).scalar_one()
        s.connection().execute(
            text(
                "INSERT INTO sponsor_member (sponsor_id, participant_id, joined_on, left_on)"
                " SELECT :s, participant_id, '2025-01-01', '2025-12-01' FROM contribution WHERE id = :c"
            ),
            {"s": sponsor, "c": ids["Ani"]},
        )
    return {
        "ids": ids,
        "finance": auth(finance_token or ""),
        "manager": auth(manager_token or ""),
        "finance_id": finance.id,
        "admin_id": admin.id,
        "sponsor": sponsor,
    }


def _get(client, headers, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/debit-attempts", query_string=params, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def names(client, world, **params: Any) -> set[str]:  # type: ignore[no-untyped-def]
    body = _get(client, world["finance"], limit=200, **params)
    return {r["participant_name"] for r in body["items"]}


def test_the_queue_holds_the_months_whose_latest_answer_failed_or_is_unknown(client, world) -> None:  # type: ignore[no-untyped-def]
    body = _get(client, world["finance"], limit=200)
    rows = {r["participant_name"]: r for r in body["items"]}
    assert set(rows) == QUEUE
    budi = rows["Budi"]
    assert (budi["display"], budi["channel"], budi["gateway"], budi["amount"]) == (
        "GoPay ••••0002",
        "ewallet",
        "stripe",
        36_800,
    )
    assert (budi["attempt_no"], budi["failure_code"], budi["failure_class"]) == (2, "limit_exceeded", "soft")
    assert (budi["failure_label_id"], budi["next_retry_on"], budi["assignee_name"]) == (
        "melebihi batas transaksi",
        "2026-03-25",
        "Adi",
    )
    assert budi["nik"][4:12] == "********" and budi["region_name"] == "Kabupaten Bangka"
    citra = rows["Citra"]
    assert (citra["failure_class"], citra["next_retry_on"], citra["stopped_reason"]) == (
        "hard",
        None,
        "account_closed",
    )
    assert rows["Dedi"]["stopped_reason"] == "max_attempts"
    eka = rows["Eka"]
    assert (eka["outcome"], eka["failure_code"], eka["failure_label_en"]) == (
        "unknown",
        None,
        "awaiting the gateway's answer",
    )
    # The later attempt was cancelled or is not answered: the failed one is the latest answer.
    assert rows["Hadi"]["attempt_no"] == rows["Indah"]["attempt_no"] == 1
    assert rows["Ani"]["attempted_on"] == "2026-03-05" and rows["Ani"]["period"] == "2026-03"
    # Joko's January is unpaid too: his coverage ends three months after January, not after February.
    assert rows["Joko"]["coverage_ends_on"] == "2026-04-15" and rows["Ani"]["coverage_ends_on"] == "2026-06-15"
    assert body["totals"] == {
        "months": 8,
        "participants": 8,
        "amount": 16_800 * 6 + 36_800 + 8_400,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "19"}, {"Ani", "Budi", "Hadi", "Indah", "Joko"}),
        ({"region": "19.71"}, {"Ani", "Hadi", "Indah", "Joko"}),
        ({"region": "15"}, {"Citra", "Dedi"}),
        ({"region": "64.74"}, {"Eka"}),
        ({"region": "15.72"}, set()),
        ({"outcome": "unknown"}, {"Eka"}),
        ({"outcome": "failed"}, QUEUE - {"Eka"}),
        ({"failure_class": "hard"}, {"Citra"}),
        ({"failure_class": "soft"}, {"Ani", "Budi", "Dedi", "Hadi", "Indah", "Joko"}),
        ({"failure_class": "transient"}, set()),
        ({"failure_code": "limit_exceeded"}, {"Budi"}),
        ({"failure_code": "insufficient_funds"}, {"Ani", "Dedi", "Hadi", "Indah"}),
        ({"channel": "ewallet"}, {"Budi"}),
        ({"channel": "bank"}, QUEUE - {"Budi"}),
        ({"gateway": "stripe"}, {"Budi"}),
        ({"attempt_min": 2}, {"Budi", "Dedi"}),
        ({"attempt_max": 1}, {"Ani", "Citra", "Eka", "Hadi", "Indah", "Joko"}),
        ({"attempt_min": 2, "attempt_max": 3}, {"Budi"}),
        ({"attempted_from": "2026-03-14"}, {"Budi", "Dedi"}),
        ({"attempted_to": "2026-03-05"}, {"Ani", "Citra", "Eka", "Hadi", "Indah", "Joko"}),
        ({"attempted_from": "2026-02-01", "attempted_to": "2026-02-28"}, {"Joko"}),
        ({"amount_min": 16_801}, {"Budi"}),
        ({"amount_max": 10_000}, {"Citra"}),
        ({"amount_min": 8_400, "amount_max": 8_400}, {"Citra"}),
        ({"ecosystem": "desa"}, {"Budi"}),
        ({"ecosystem": "rentan"}, {"Citra"}),
        ({"retry_from": "2026-03-20"}, {"Budi"}),
        ({"retry_to": "2026-03-14"}, {"Ani", "Hadi", "Indah", "Joko"}),
        ({"stopped": "true"}, {"Citra", "Dedi"}),
        ({"stopped": "false"}, {"Ani", "Budi", "Hadi", "Indah", "Joko"}),
        ({"assignee": "me"}, {"Ani"}),
        ({"assignee": "none"}, QUEUE - {"Ani", "Budi"}),
        ({"region": "19", "channel": "bank", "attempt_max": 1, "assignee": "none"}, {"Hadi", "Indah", "Joko"}),
    ],
)
def test_each_filter_narrows_to_the_rows_chosen_by_hand(client, world, params, expected) -> None:  # type: ignore[no-untyped-def]
    assert names(client, world, **params) == expected


def test_filters_by_assignee_and_sponsor(client, world) -> None:  # type: ignore[no-untyped-def]
    assert names(client, world, assignee=str(world["admin_id"])) == {"Budi"}
    assert names(client, world, sponsor_id=world["sponsor"]) == {"Ani"}
    assert names(client, world, sponsor_id=world["sponsor"] + 1) == set()


def test_totals_are_those_of_the_filtered_set(client, world) -> None:  # type: ignore[no-untyped-def]
    body = _get(client, world["finance"], region="19", limit=1)
    assert len(body["items"]) == 1
    assert body["totals"] == {"months": 5, "participants": 5, "amount": 16_800 * 4 + 36_800}
    assert _get(client, world["finance"], region="15.72")["totals"] == {"months": 0, "participants": 0, "amount": 0}


def _sort_value(key: SortKey, row: dict[str, Any]) -> Any:
    return {
        SortKey.coverage: row["coverage_ends_on"],
        SortKey.participant: row["participant_name"],
        SortKey.region: row["region_code"],
        SortKey.channel: row["channel"],
        SortKey.amount: row["amount"],
        SortKey.month: row["period"],
        SortKey.attempt: row["attempt_no"],
        SortKey.failure: row["failure_code"] or "",
        SortKey.next_retry: row["next_retry_on"] or "9999-12-31",
        SortKey.attempted: row["attempted_on"],
        SortKey.assignee: row["assignee_name"] or "",
        SortKey.contribution: row["contribution_id"],
    }[key]


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("key", list(SortKey))
def test_every_order_pages_without_repeating_or_skipping_a_row(client, world, key: SortKey, order: str) -> None:  # type: ignore[no-untyped-def]
    whole = _get(client, world["finance"], sort=key.value, order=order, limit=200)["items"]
    expected = sorted(whole, key=lambda r: (_sort_value(key, r), r["contribution_id"]), reverse=order == "desc")
    assert [r["contribution_id"] for r in whole] == [r["contribution_id"] for r in expected]
    # Three rows a page: most orders have ties (four months in 19.71, five of Rp 16,800, nulls).
    paged: list[int] = []
    cursor = None
    while True:
        params = {"sort": key.value, "order": order, "limit": 3} | ({"cursor": cursor} if cursor else {})
        body = _get(client, world["finance"], **params)
        paged += [r["contribution_id"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert paged == [r["contribution_id"] for r in whole]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("region=1971", "region"),
        ("region=19.7", "region"),
        ("failure_code=nope", "failure_code"),
        ("attempted_from=2026-03-10&attempted_to=2026-03-01", None),
        ("amount_min=-1", "amount_min"),
        ("amount_max=99999999999999999999", "amount_max"),
        ("attempt_min=0", "attempt_min"),
        ("assignee=someone", "assignee"),
        ("sponsor_id=0", "sponsor_id"),
        ("ends_within=-3", "ends_within"),
        ("sort=nik", "sort"),
        ("limit=201", "limit"),
        ("gateway=Stripe%20X", "gateway"),
        ("bogus=1", "bogus"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_bad_filters_are_422_problems(client, world, query: str, field: str | None) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/v1/debit-attempts?{query}", headers=world["finance"])
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    fields = [e["field"] for e in resp.get_json()["errors"]]
    assert field in fields if field else fields


def test_a_cursor_is_only_good_for_its_own_order(client, world) -> None:  # type: ignore[no-untyped-def]
    cursor = _get(client, world["finance"], sort="amount", limit=2)["next_cursor"]
    resp = client.get(f"/api/v1/debit-attempts?sort=month&cursor={cursor}", headers=world["finance"])
    assert resp.status_code == 422 and resp.get_json()["code"] == "invalid_cursor"


def test_only_finance_and_admins_read_the_queue(client, world) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/debit-attempts", headers=world["manager"])
    assert resp.status_code == 403 and resp.get_json()["code"] == "role_not_allowed"
    assert "/api/v1/debit-attempts" in client.get("/openapi.json").get_json()["paths"]


def test_unused_users_are_not_assignees(app, engine, world) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work(engine) as s:
        people = [(u.name, u.role) for u in assignment.assignees(s)]
        assert ("Mira", Role.manager) not in people and ("Fina", Role.finance) in people
        assert all(isinstance(u, ApiUser) for u in assignment.assignees(s))


def test_coverage_ends_by_the_arrears_rule_and_filters_by_days_left(engine, world) -> None:  # type: ignore[no-untyped-def]
    """Joko's oldest unpaid month is January 2026: with three months of arrears allowed, April's due date
    (Wednesday 15 April) ends his membership. Everyone else's is March: 15 June (a Monday)."""
    from billing.failed_debits import service
    from billing.failed_debits.schemas import QueueQuery

    def queued(today: date, **filters: Any) -> dict[str, int]:
        ctx = service.Context(today=today, arrears_months=3)
        with db.unit_of_work(engine) as s:
            rows, _ = service.page(s, QueueQuery.model_validate({"limit": 200, **filters}), ctx)
        return {r.participant_name: r.days_until_coverage_ends for r in rows}

    april_1 = date(2026, 4, 1)
    days = queued(april_1)
    assert days["Joko"] == 14 and days["Ani"] == (date(2026, 6, 15) - april_1).days == 75
    assert queued(april_1, ends_within=14) == {"Joko": 14}
    assert queued(april_1, ends_within=13) == {}
    assert set(queued(april_1, ends_within=75)) == QUEUE
    # On 16 April Joko's membership has ended: no longer "ends within", shown as ended (negative).
    assert queued(date(2026, 4, 16))["Joko"] == -1
    assert set(queued(date(2026, 4, 16), ends_within=100)) == QUEUE - {"Joko"}
    assert queued(date(2026, 4, 15), ends_within=0) == {"Joko": 0}

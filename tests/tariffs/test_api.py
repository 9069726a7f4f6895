import pytest

from tests.factories import auth, enrol, token


@pytest.fixture
def worker(app, client) -> str:  # type: ignore[no-untyped-def]
    participant = enrol(client, token(app, "admin"))
    return token(app, "worker", participant["id"])


def _quote(client, tok: str, **params: str):  # type: ignore[no-untyped-def]
    return client.get("/api/v1/tariffs/quote", query_string=params, headers=auth(tok))


@pytest.mark.parametrize(
    ("params", "total"),
    [
        ({"programs": "JKK,JKM", "sector": "perdagangan", "period": "2024-06"}, 16_800),
        ({"programs": "JKK,JKM,JHT", "sector": "perdagangan", "period": "2024-06"}, 36_800),
        ({"programs": "JKK,JKM", "sector": "perdagangan", "period": "2026-05"}, 8_400),
        ({"programs": "JKK,JKM", "sector": "perdagangan", "period": "2026-05", "payer": "sponsor_apbd"}, 16_800),
        ({"programs": "JKK,JKM", "sector": "perdagangan", "period": "2026-05", "payer": "sponsor_csr"}, 8_400),
        ({"programs": "JKK,JKM,JHT", "sector": "perdagangan", "period": "2026-05"}, 28_400),
        ({"programs": "JKK,JKM", "sector": "transport", "period": "2027-02"}, 8_400),
        ({"programs": "JKK,JKM", "sector": "perdagangan", "period": "2027-02"}, 16_800),
        ({"programs": "JKK,JKM", "sector": "transport", "period": "2025-12"}, 16_800),
    ],
)
def test_worker_quotes(client, worker, params, total) -> None:  # type: ignore[no-untyped-def]
    resp = _quote(client, worker, declared_income="1000000", **params)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["total"] == total
    assert body["period"] == params["period"]
    assert sum(line["amount"] for line in body["lines"]) == total


def test_quote_lines_and_repeated_programs(client, worker) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(
        "/api/v1/tariffs/quote?declared_income=1000000&programs=JKK&programs=JKM&programs=JHT"
        "&sector=perdagangan&period=2026-05",
        headers=auth(worker),
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {
        "period": "2026-05",
        "insured_wage": 1_000_000,
        "total": 28_400,
        "lines": [
            {
                "program": "JKK",
                "base_amount": 10_000,
                "discount_amount": 5_000,
                "amount": 5_000,
                "discount_rule": "PP 50/2025 sektor lain",
            },
            {
                "program": "JKM",
                "base_amount": 6_800,
                "discount_amount": 3_400,
                "amount": 3_400,
                "discount_rule": "PP 50/2025 sektor lain",
            },
            {"program": "JHT", "base_amount": 20_000, "discount_amount": 0, "amount": 20_000, "discount_rule": None},
        ],
    }


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"declared_income": "-5"}, "declared_income"),
        ({"declared_income": "abc"}, "declared_income"),
        ({"programs": "JHT"}, "programs"),
        ({"programs": "JKK,JKM,JKM"}, "programs"),
        ({"sector": "pabrik"}, "sector"),
        ({"period": "2026-13"}, "period"),
        ({"period": "May 2026"}, "period"),
        ({"payer": "bank"}, "payer"),
        ({"colour": "red"}, "colour"),
        ({"period": "2010-01"}, "period"),  # before any tariff row
    ],
)
def test_bad_params_are_422_naming_the_field(client, worker, override, field) -> None:  # type: ignore[no-untyped-def]
    params = {"declared_income": "1000000", "programs": "JKK,JKM", "sector": "perdagangan", "period": "2026-05"}
    resp = _quote(client, worker, **{**params, **override})
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert [e["field"].split(".")[0] for e in resp.get_json()["errors"]] == [field]


def test_missing_params_are_named(client, worker) -> None:  # type: ignore[no-untyped-def]
    resp = _quote(client, worker)
    assert resp.status_code == 422
    assert sorted(e["field"] for e in resp.get_json()["errors"]) == ["declared_income", "period", "sector"]


def test_tariff_listing_for_staff(client, app, worker) -> None:  # type: ignore[no-untyped-def]
    finance = token(app, "finance")
    body = client.get("/api/v1/tariffs?period=2027-02", headers=auth(finance)).get_json()
    assert body["period"] == "2027-02"
    assert [(r["program"], r["kind"], r["rate"], r["base"]) for r in body["rates"]] == [
        ("JKK", "percent", 100, "bracket"),
        ("JKM", "flat", 6_800, None),
        ("JHT", "percent", 200, "declared"),
    ]
    assert [d["name"] for d in body["discounts"]] == ["PP 50/2025 transportasi"]
    assert body["discounts"][0]["exclude_payers"] == ["sponsor_apbd"]
    assert body["brackets"][0]["income_ceiling"] == 1_000_000
    may = client.get("/api/v1/tariffs?period=2026-05", headers=auth(finance)).get_json()
    assert len(may["discounts"]) == 2
    assert client.get("/api/v1/tariffs?period=2026-05", headers=auth(worker)).status_code == 403

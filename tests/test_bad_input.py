"""Input that once gave a 500 (found by fuzzing the API) is a 4xx problem, on both backends; the rules
that fixed them are checked on every endpoint the API document lists, not only where they were found."""

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from billing import create_app
from billing.auth.guard import PUBLIC_ATTR, ROLES_ATTR
from billing.auth.models import Role
from billing.columns import BIGINT_MAX
from billing.settings import Settings
from tests.api_routes import APP
from tests.factories import auth, enrol, participant_body, token
from tests.test_problems import assert_problem

DOC = APP.api_doc
SCHEMAS = DOC["components"]["schemas"]


@pytest.fixture
def settings(db_url: str) -> Settings:
    # A sandbox, so that the sandbox clock's endpoints validate their input too.
    return Settings(database_url=db_url, log_json=False, log_level="WARNING", sandbox=True)


@pytest.fixture
def admin(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth(token(app, Role.admin))


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _kinds(schema: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    """(type or format, inside an array) of a property, through anyOf (``int | None``)."""
    schema = _resolve(schema)
    for option in schema.get("anyOf", [schema]):
        option = _resolve(option)
        if option.get("type") == "array":
            yield from ((kind, True) for kind, _ in _kinds(option.get("items", {})))
        elif option.get("format") == "date":
            yield "date", False
        elif "type" in option:
            yield option["type"], False


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The operations staff call with a token; public ones (the webhook: its signature is the
    authentication) have tests of their own."""
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            if op.get("security") != []:
                yield path, method, op


def _fill(path: str) -> str:
    """The document's path with its parameters filled by values that pass their own checks."""
    filled = {"{code}": "19.71", "{period}": "2026-05"}
    return "/".join(filled.get(p, "1") if p.startswith("{") else p for p in path.split("/"))


def _body_fields(kind: str) -> list[Any]:
    """(method, path, property, inside an array) of every JSON body property of the given kind."""
    cases = []
    for path, method, op in _operations():
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        for name, prop in _resolve(schema or {}).get("properties", {}).items():
            for found, in_array in _kinds(prop):
                if found == kind:
                    cases.append(pytest.param(method, path, name, in_array, id=f"{method.upper()} {path} {name}"))
    return cases


def _query_fields(kind: str) -> list[Any]:
    """(path, parameter) of every GET query parameter of the given kind."""
    cases = []
    for path, method, op in _operations():
        for param in op.get("parameters", []):
            if method == "get" and param["in"] == "query" and any(k == kind for k, _ in _kinds(param["schema"])):
                cases.append(pytest.param(path, param["name"], id=f"GET {path} {param['name']}"))
    return cases


def _staff(app, method: str, path: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(_fill(path), method=method.upper())
    view = app.view_functions[endpoint]
    assert not getattr(view, PUBLIC_ATTR, False), f"{path} is public: _operations leaves it out"
    allowed = sorted(r for r in getattr(view, ROLES_ATTR, frozenset()) if r != Role.worker)
    return auth(token(app, allowed[0]))


def _field_errors(resp: Any) -> dict[str | None, str]:
    body = assert_problem(resp, 422, resp.get_json()["code"])
    return {e["field"]: e["type"] for e in body.get("errors", [])}


# -- ids beyond the column range --------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "name", "in_array"), _body_fields("integer"))
@pytest.mark.parametrize("number", [2**31, 2**63])
def test_body_integers_beyond_any_column_are_422(app, client, method, path, name, in_array, number) -> None:  # type: ignore[no-untyped-def]
    value = [number] if in_array else number
    resp = client.open(_fill(path), method=method.upper(), json={name: value}, headers=_staff(app, method, path))
    field = f"{name}.0" if in_array else name
    assert field in _field_errors(resp), resp.get_json()


@pytest.mark.parametrize(("path", "name"), _query_fields("integer"))
def test_query_integers_beyond_any_column_are_422(app, client, path, name) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"{_fill(path)}?{name}={2**63}", headers=_staff(app, "get", path))
    assert name in _field_errors(resp), resp.get_json()


@pytest.mark.parametrize("number", [2**31, 2**63])
def test_sponsor_member_ids_beyond_the_column_are_422(client, admin, number: int) -> None:  # type: ignore[no-untyped-def]
    sponsor = client.post(
        "/api/v1/sponsors", json={"name": "PT Maju", "kind": "company", "budget_type": "csr"}, headers=admin
    ).get_json()
    added = client.post(
        f"/api/v1/sponsors/{sponsor['id']}/participants", json={"participant_ids": [number]}, headers=admin
    )
    assert _field_errors(added) == {"participant_ids.0": "less_than_equal"}
    removed = client.delete(f"/api/v1/sponsors/{sponsor['id']}/participants/{number}", headers=admin)
    if number > BIGINT_MAX:  # no <int:…> URL part matches it
        assert_problem(removed, 404, "not_found")
    else:
        assert _field_errors(removed) == {"participant_id": "less_than_equal"}


# -- booleans are not numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "name", "in_array"), _body_fields("integer"))
def test_true_is_not_a_number(app, client, method, path, name, in_array) -> None:  # type: ignore[no-untyped-def]
    value = [True] if in_array else True
    resp = client.open(_fill(path), method=method.upper(), json={name: value}, headers=_staff(app, method, path))
    assert _field_errors(resp).get(f"{name}.0" if in_array else name) == "int_type", resp.get_json()


def test_declared_income_true_is_not_rp_1(client, admin, engine) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/participants", json=participant_body(declared_income=True), headers=admin)
    assert _field_errors(resp) == {"declared_income": "int_type"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM participant")).scalar_one() == 0


# -- dates within 2015..2100 ------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "name", "in_array"), _body_fields("date"))
@pytest.mark.parametrize("day", ["0001-01-01", "2014-12-31", "2101-01-01", "9999-12-31"])
def test_body_dates_are_bounded(app, client, method, path, name, in_array, day) -> None:  # type: ignore[no-untyped-def]
    resp = client.open(_fill(path), method=method.upper(), json={name: day}, headers=_staff(app, method, path))
    assert _field_errors(resp).get(name) in ("greater_than_equal", "less_than_equal"), resp.get_json()


@pytest.mark.parametrize(("path", "name"), _query_fields("date"))
def test_query_dates_are_bounded(app, client, path, name) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"{_fill(path)}?{name}=0001-01-01", headers=_staff(app, "get", path))
    assert _field_errors(resp).get(name) == "greater_than_equal", resp.get_json()


def test_offline_payment_in_year_1_is_refused(client, admin) -> None:  # type: ignore[no-untyped-def]
    body = {"receipt_number": "KW-1", "paid_on": "0001-01-01", "amount": 16_800}
    resp = client.post("/api/v1/contributions/1/offline-payment", json=body, headers=admin)
    assert _field_errors(resp) == {"paid_on": "greater_than_equal"}


# -- enums in filters, NUL characters, wildcards ----------------------------------------------------


def test_unknown_debit_run_status_is_422(client, admin) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/debit-runs?status=bogus", headers=admin)
    assert _field_errors(resp) == {"status": "enum"}
    assert client.get("/api/v1/debit-runs?status=completed", headers=admin).status_code == 200


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"full_name": "Siti\u0000Aminah"}, ["full_name"]),
        ({"sector": "\u0000", "programs": ["JKK", "JKM\u0000"]}, ["programs.1", "sector"]),
        ({"nested\u0000key": 1}, ["nested\u0000key"]),
    ],
)
def test_nul_in_a_body_is_422(client, admin, engine, body, fields) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/participants", json=participant_body(**body), headers=admin)
    problem = assert_problem(resp, 422, "nul_character")
    assert sorted(e["field"] for e in problem["errors"]) == fields
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM participant")).scalar_one() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sponsors?q=a%00b",
        "/api/v1/participants?region_code=19%00",
        "/api/v1/participants?x%00=1",
        "/api/v1/regions/19%00/workforce",
    ],
)
def test_nul_in_a_url_is_422(client, admin, url: str) -> None:  # type: ignore[no-untyped-def]
    assert_problem(client.get(url, headers=admin), 422, "nul_character")


def test_nul_in_a_mandate_is_422_too(client, admin) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/mandates", json={"display": "BRI \u0000 1234"}, headers=admin)
    assert_problem(resp, 422, "nul_character")


def test_percent_and_underscore_are_literal_in_filters(client, admin) -> None:  # type: ignore[no-untyped-def]
    for name in ("Diskon 100% Peduli", "Diskon 1000 Peduli", "PT_Tambang"):
        body = {"name": name, "kind": "company", "budget_type": "csr"}
        assert client.post("/api/v1/sponsors", json=body, headers=admin).status_code == 201

    def names(q: str) -> list[str]:
        resp = client.get("/api/v1/sponsors", query_string={"q": q}, headers=admin)
        assert resp.status_code == 200, resp.get_json()
        return [s["name"] for s in resp.get_json()["items"]]

    assert names("100%") == ["Diskon 100% Peduli"]
    assert names("%") == ["Diskon 100% Peduli"]
    assert names("T_T") == ["PT_Tambang"]
    assert names("_") == ["PT_Tambang"]
    assert names("diskon") == ["Diskon 100% Peduli", "Diskon 1000 Peduli"]  # still case-insensitive

    enrol(client, admin["Authorization"].split()[1], region_code="19.71")
    for code, total in (("19", 1), ("1_", 0), ("%", 0), ("1%", 0)):
        resp = client.get("/api/v1/participants", query_string={"region_code": code}, headers=admin)
        assert resp.get_json()["total"] == total, code


# -- unexpected failures --------------------------------------------------------------------------


@pytest.fixture
def logged(db_url: str):  # type: ignore[no-untyped-def]
    """An app as production runs it (exceptions are not propagated to the caller), logging JSON lines."""
    app = create_app(Settings(database_url=db_url, log_level="INFO", log_json=True))
    handler = logging.getLogger().handlers[0]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield app, buffer
    finally:
        if previous is not None:
            handler.setStream(previous)
        app.extensions["billing.engine"].dispose()


def test_a_failed_flush_is_an_internal_error_logged_once(logged, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from billing.participants.models import Participant

    app, buffer = logged
    client = app.test_client()
    admin = auth(token(app, Role.admin))
    first = enrol(client, admin["Authorization"].split()[1])
    second = enrol(client, admin["Authorization"].split()[1])

    def clashing(session, body):  # type: ignore[no-untyped-def]
        # A bug: an UPDATE whose flush breaks the unique NIK, in the middle of a request.
        session.get(Participant, second["id"]).nik = first["nik"]
        session.flush()

    monkeypatch.setattr("billing.sponsors.service.create", clashing)
    buffer.seek(0)
    buffer.truncate()
    body = {"name": "PT Maju", "kind": "company", "budget_type": "csr"}
    resp = client.post("/api/v1/sponsors", json=body, headers=admin)
    assert_problem(resp, 500, "internal_error")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    assert [line["event"] for line in lines if line["level"] == "error"] == ["unhandled error"]
    assert [line["status"] for line in lines if line["event"] == "request"] == [500]
    assert "IntegrityError" in next(line["exception"] for line in lines if line["level"] == "error")
    # Nothing was written, and the next request is served as usual.
    assert client.get(f"/api/v1/participants/{second['id']}", headers=admin).get_json()["nik"] == second["nik"]


# -- what gunicorn answers itself -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _raw(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}, body


@pytest.fixture(scope="module")
def served(_sqlite_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``billing serve`` in its own process, as production runs it: one for the module (the requests
    below never reach the app, let alone the database)."""
    sqlite_url, tmp_path = _sqlite_database, tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLING_")}
    env |= {
        "BILLING_DATABASE_URL": sqlite_url,
        "BILLING_SECRET_KEY": "served-test-secret",
        "BILLING_LOG_LEVEL": "WARNING",
    }
    args = [str(Path(sys.executable).parent / "billing"), "serve", "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0].endswith("200 OK"):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("billing serve did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /api/v1/participants?q=" + b"x" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
            431,
            "headers_too_large",
        ),
        (b"NOT AN HTTP REQUEST\r\n\r\n", 400, "bad_request"),
    ],
    ids=["long-uri", "many-headers", "garbage"],
)
def test_gunicorn_refusals_are_problems_too(served: int, request_bytes: bytes, status: int, code: str) -> None:
    line, headers, body = _raw(served, request_bytes)
    assert line.startswith(f"HTTP/1.1 {status} "), line
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (status, code)
    assert " / " in problem["detail"]

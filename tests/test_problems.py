"""Bad requests are answered as problem+json with a stable code, and write nothing."""

import json
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from billing.auth.guard import PUBLIC_ATTR, ROLES_ATTR
from billing.auth.models import Role
from billing.settings import Settings
from tests.api_routes import API_RULES, BODY_METHODS, SKIPPED_METHODS, int_arguments, url_for_rule
from tests.factories import auth, participant_body, token

MAX_BODY = 8192
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    # A small body limit so that 413 is cheap to provoke.
    return Settings(database_url=db_url, log_json=False, log_level="WARNING", max_body_bytes=MAX_BODY)


@pytest.fixture
def admin(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth(token(app, Role.admin))


def participants_count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM participant")).scalar_one()


def assert_problem(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert body["title"] and body["detail"]
    assert " / " in body["detail"], "detail is Indonesian first, then English"
    return body


def post_participant(client, headers, data: bytes | str, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/participants", data=data, content_type=content_type, headers=headers)


@pytest.mark.parametrize("raw", ["[1,2]", '"x"', "null", "42", "true", "[]"])
def test_json_that_is_not_an_object_is_422(client, admin, engine, raw: str) -> None:  # type: ignore[no-untyped-def]
    assert_problem(post_participant(client, admin, raw), 422, "body_not_object")
    assert participants_count(engine) == 0


@pytest.mark.parametrize("raw", [b'{"nik": ', b"{'nik': 1}", b"{nik}", b"\xff\xfe{}", b'{"a": 1,}'])
def test_malformed_json_is_400(client, admin, engine, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    assert_problem(post_participant(client, admin, raw), 400, "malformed_json")
    assert participants_count(engine) == 0


def test_deeply_nested_json_is_400_not_a_crash(client, admin, engine) -> None:  # type: ignore[no-untyped-def]
    depth = (MAX_BODY - 16) // 2
    assert_problem(post_participant(client, admin, "[" * depth + "]" * depth), 400, "json_too_deep")
    assert participants_count(engine) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type_is_415(client, admin, engine, content_type: str) -> None:  # type: ignore[no-untyped-def]
    resp = post_participant(client, admin, json.dumps(participant_body()), content_type)
    assert_problem(resp, 415, "unsupported_media_type")
    assert participants_count(engine) == 0


def test_json_with_charset_is_accepted(client, admin, engine) -> None:  # type: ignore[no-untyped-def]
    resp = post_participant(client, admin, json.dumps(participant_body()), "application/json; charset=utf-8")
    assert resp.status_code == 201, resp.get_json()
    assert participants_count(engine) == 1


def test_body_over_the_limit_is_413(client, admin, engine) -> None:  # type: ignore[no-untyped-def]
    body = participant_body(full_name="A" * MAX_BODY)
    resp = post_participant(client, admin, json.dumps(body))
    assert_problem(resp, 413, "payload_too_large")
    assert participants_count(engine) == 0


def test_invalid_fields_are_422_with_errors(client, admin, engine) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/participants", json=participant_body(declared_income=0, bogus=1), headers=admin)
    body = assert_problem(resp, 422, "invalid_input")
    assert sorted(e["field"] for e in body["errors"]) == ["bogus", "declared_income"]
    assert participants_count(engine) == 0


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/participants/abc", "/no-such-page"])
def test_unknown_route_is_404(client, admin, path: str) -> None:  # type: ignore[no-untyped-def]
    assert_problem(client.get(path, headers=admin), 404, "not_found")


def test_unknown_route_is_404_whatever_the_body(client, admin) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/no-such-thing", data="{", content_type="application/json", headers=admin)
    assert_problem(resp, 404, "not_found")


def test_wrong_method_is_405_with_allow(client, admin, engine) -> None:  # type: ignore[no-untyped-def]
    resp = client.delete("/api/v1/participants", headers=admin)
    assert_problem(resp, 405, "method_not_allowed")
    assert {m.strip() for m in resp.headers["Allow"].split(",")} >= {"GET", "POST"}
    assert_problem(
        client.put("/api/v1/participants", json=participant_body(), headers=admin), 405, "method_not_allowed"
    )
    assert participants_count(engine) == 0


def test_page_out_of_range_is_422(client, admin) -> None:  # type: ignore[no-untyped-def]
    for page in ("0", str(10**12), str(2**64)):
        body = assert_problem(client.get(f"/api/v1/participants?page={page}", headers=admin), 422, "invalid_input")
        assert [e["field"] for e in body["errors"]] == ["page"]


def _int_path_cases() -> list[Any]:
    # One id at a time: a bad first id must not hide an unchecked second one.
    return [
        pytest.param(rule.endpoint, method, name, id=f"{method} {rule.rule} {name}")
        for rule in API_RULES
        for name in int_arguments(rule)
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS)
    ]


@pytest.mark.parametrize(("endpoint", "method", "name"), _int_path_cases())
@pytest.mark.parametrize("number", [2**31, 2**63, 2**64])
def test_out_of_range_ids_are_not_server_errors(app, client, endpoint, method, name, number) -> None:  # type: ignore[no-untyped-def]
    """An id no INTEGER/BIGINT column can hold is a 4xx, never a database error (500). Path models of
    tables with a plain INTEGER id bound it with ``le=billing.columns.INT_MAX``."""
    view = app.view_functions[endpoint]
    staff = sorted(r for r in getattr(view, ROLES_ATTR, frozenset()) if r != Role.worker)
    if getattr(view, PUBLIC_ATTR, False) or not staff:
        pytest.skip("needs a staff role to get past the guard")
    url = url_for_rule(app, endpoint, method, **{name: number})
    body = {"json": {}} if method in BODY_METHODS else {}
    resp = client.open(url, method=method, headers=auth(token(app, staff[0])), **body)
    # 405 when the number falls through to a rule with a string parameter and other methods.
    assert resp.status_code in (404, 405, 422), (resp.status_code, resp.get_data(as_text=True))
    assert resp.mimetype == "application/problem+json"


def _refused(orig: Exception) -> OperationalError:
    return OperationalError("UPDATE contribution SET ...", {}, orig)


def _fail_once(monkeypatch: pytest.MonkeyPatch, where: str, error: Exception) -> None:
    """The request's first ``Session.<where>`` raises ``error``; later ones (the audit of the refusal,
    committed apart) run as usual."""
    real = getattr(Session, where)
    raised: list[bool] = []

    def fake(self: Session, *args: Any, **kwargs: Any) -> Any:
        if not raised:
            raised.append(True)
            raise error
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Session, where, fake)


@pytest.mark.parametrize(
    ("orig", "codes", "retry_after"),
    [
        (psycopg.errors.DeadlockDetected("deadlock detected"), ("try_again", "try_again"), "1"),
        (psycopg.errors.SerializationFailure("could not serialize access"), ("try_again", "try_again"), "1"),
        # Lost during the COMMIT, the server may have committed: the answer must not say nothing was saved.
        (psycopg.errors.AdminShutdown("terminating connection"), ("database_unavailable", "outcome_unknown"), "5"),
    ],
)
def test_a_transaction_the_database_refused_for_now_is_503_with_retry_after(
    app, client, admin, engine, monkeypatch, orig: Exception, codes: tuple[str, str], retry_after: str
) -> None:  # type: ignore[no-untyped-def]
    # As in production: an error of an after_request hook (the commit) is answered, not re-raised.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    # Raised where the database raises it: in the view's flush, and in the request's commit.
    for where, code in zip(("flush", "commit"), codes, strict=True):
        with monkeypatch.context() as m:
            _fail_once(m, where, _refused(orig))
            resp = client.post("/api/v1/participants", json=participant_body(), headers=admin)
        body = assert_problem(resp, 503, code)
        assert resp.headers["Retry-After"] == retry_after, where
        said = "may have been saved" if code == "outcome_unknown" else "nothing was changed"
        assert said in body["detail"], where
        assert participants_count(engine) == 0


def test_any_other_database_error_is_still_a_500(client, admin, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _fail_once(monkeypatch, "flush", _refused(Exception("bug")))
    assert_problem(client.post("/api/v1/participants", json=participant_body(), headers=admin), 500, "internal_error")
    assert participants_count(engine) == 0

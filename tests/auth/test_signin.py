"""Staff sign in in the browser: sessions, their cookie, expiry, lockout, CSRF, roles."""

from typing import Any

import pytest
from sqlalchemy import text

from billing.auth.browser import COOKIE
from billing.auth.models import Role
from billing.settings import Settings
from tests.factories import auth, enrol, participant_body, staff, token
from tests.web.browser_session import csrf_token, sign_in, use_clock

REPORT = "/api/v1/reports/coverage?region=19&from=2024-01&to=2024-03&format=html"


def actions(engine: Any) -> list[tuple[str, int | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT action, user_id FROM audit_record ORDER BY id")).all()]


def session_cookie(resp: Any) -> str:
    [header] = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    return header


def test_sign_in_opens_a_session_with_a_safe_cookie(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    uid = staff(app, Role.finance, username="ani")
    resp = sign_in(client, "ANI ", next="/staff/audit")
    assert resp.status_code == 302 and resp.headers["Location"] == "/staff/audit"
    cookie = session_cookie(resp)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP, no setting
    assert "Expires" not in cookie and "Max-Age" not in cookie  # gone with the browser; the server ends it too
    home = client.get("/staff/")
    assert home.status_code == 200 and "Staf finance" in home.get_data(as_text=True)
    assert home.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in home.headers
    assert actions(engine) == [("users.create", None), ("staff.sign_in", uid)]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM staff_session")).scalar_one()
    assert cookie.split(";")[0].split("=", 1)[1] not in stored  # only the hash is kept


def test_cookie_is_secure_by_setting_and_over_https(app, client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.finance)
    https = {"base_url": "https://staff.example", "headers": {"Referer": "https://staff.example/staff/login"}}
    form = client.get("/staff/login", **https).get_data(as_text=True)
    csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
    data = {"login": "finance", "password": "kata-sandi-yang-panjang", "csrf_token": csrf}
    signed_in = client.post("/staff/login", data=data, **https)
    assert "Secure" in session_cookie(signed_in)
    assert all("Secure" in h for h in signed_in.headers.getlist("Set-Cookie"))  # the CSRF cookie too
    app.extensions["billing.settings"] = settings.model_copy(update={"staff_cookie_secure": True})
    assert "Secure" in session_cookie(sign_in(app.test_client(), "finance"))


def test_open_redirects_are_refused(app, client) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.manager)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        resp = sign_in(app.test_client(), "manager", next=evil)
        assert resp.headers["Location"] == "/staff/", evil


def test_wrong_password_and_unknown_name_are_refused_alike(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    uid = staff(app, Role.finance, username="ani")
    wrong = sign_in(client, "ani", "salah-salah-salah")
    unknown = sign_in(client, "budi", "salah-salah-salah")
    for resp in (wrong, unknown):
        assert resp.status_code == 401
        assert "Wrong username or password" in resp.get_data(as_text=True)
        assert not [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(COOKIE)]
    assert client.get("/staff/").status_code == 302
    assert actions(engine)[1:] == [("staff.sign_in_failed", uid), ("staff.sign_in_failed", None)]


def test_lockout_after_repeated_failures_then_it_lifts(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    clock = use_clock(app)
    uid = staff(app, Role.finance, username="ani")
    for _ in range(4):
        assert sign_in(client, "ani", "salah-salah-salah").status_code == 401
    assert sign_in(client, "ani", "salah-salah-salah").status_code == 401  # the fifth locks
    locked = sign_in(client, "ani")  # even the right password now
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == str(15 * 60)
    assert "15 menit" in locked.get_data(as_text=True)
    clock.advance(minutes=14)
    assert sign_in(client, "ani").status_code == 429
    clock.advance(minutes=1)
    assert sign_in(client, "ani").status_code == 302
    assert [a for a, u in actions(engine) if u == uid].count("staff.lockout") == 1
    assert ("staff.sign_in_locked", uid) in actions(engine)


def test_lockout_by_address(app, client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app.extensions["billing.settings"] = settings.model_copy(update={"staff_login_ip_max_failures": 3})
    clock = use_clock(app)
    staff(app, Role.finance, username="ani")
    for name in ("a", "b", "c"):  # three different names: no account reaches its own limit
        assert sign_in(client, name, "salah-salah-salah").status_code == 401
    assert sign_in(client, "ani").status_code == 429
    other = app.test_client()
    resp = other.post(
        "/staff/login",
        data={"login": "ani", "password": "kata-sandi-yang-panjang", "csrf_token": csrf_token(other)},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert resp.status_code == 302  # another address is not locked out
    clock.advance(minutes=15)
    assert sign_in(client, "ani").status_code == 302


def test_session_ends_after_inactivity_and_absolutely(app, client) -> None:  # type: ignore[no-untyped-def]
    clock = use_clock(app)
    staff(app, Role.finance)
    sign_in(client, "finance")
    clock.advance(minutes=29)
    assert client.get("/staff/").status_code == 200  # activity keeps it alive
    clock.advance(minutes=29)
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=30)
    resp = client.get("/staff/audit")
    assert resp.status_code == 302 and resp.headers["Location"] == "/staff/login?next=/staff/audit"
    # The absolute limit: a session used every 20 minutes still ends 12 hours after sign-in.
    sign_in(client, "finance")
    for _ in range(35):
        clock.advance(minutes=20)
        assert client.get("/staff/").status_code == 200
    clock.advance(minutes=20)
    assert client.get("/staff/").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    uid = staff(app, Role.manager)
    sign_in(client, "manager")
    refused = client.post("/staff/logout")
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert "CSRF" in refused.get_data(as_text=True)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    resp = client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert resp.status_code == 302 and resp.headers["Location"] == "/staff/login?bye=1"
    assert client.get_cookie(COOKIE) is None
    # The old cookie value is dead on the server too, not only forgotten by this browser.
    client.set_cookie(COOKIE, cookie.value)
    assert client.get("/staff/").status_code == 302
    assert actions(engine)[-1] == ("staff.sign_out", uid)


def test_login_form_needs_csrf(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.manager)
    resp = client.post("/staff/login", data={"login": "manager", "password": "kata-sandi-yang-panjang"})
    assert resp.status_code == 403
    assert "Token CSRF" in resp.get_data(as_text=True)
    assert actions(engine) == [("users.create", None)]


def test_pages_need_their_role(app, client) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.manager)
    assert client.get("/staff/audit").status_code == 302
    sign_in(client, "manager")
    home = client.get("/staff/").get_data(as_text=True)
    assert "/api/v1/reports/coverage" in home and "/staff/audit" not in home
    refused = client.get("/staff/audit")
    assert refused.status_code == 403 and "Your role may not open this page" in refused.get_data(as_text=True)
    assert client.get("/staff/audit.csv").status_code == 403


def test_a_session_opens_the_report_pages_for_its_role(app, client) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.manager)
    staff(app, Role.finance)
    browser_accept = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    # Not signed in: a browser is sent to sign in, a program still gets the 401 problem.
    resp = client.get(REPORT, headers=browser_accept)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/staff/login?next=/api/v1/reports/")
    assert client.get(REPORT).get_json()["code"] == "missing_token"
    sign_in(client, "manager")
    page = client.get(REPORT, headers=browser_accept)
    assert page.status_code == 200 and page.mimetype == "text/html"
    finance = app.test_client()
    sign_in(finance, "finance")
    assert finance.get(REPORT).get_json()["code"] == "role_not_allowed"


def test_api_writes_with_the_cookie_need_csrf(app, client) -> None:  # type: ignore[no-untyped-def]
    staff(app, Role.admin)
    sign_in(client, "admin")
    refused = client.post("/api/v1/participants", json=participant_body())
    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf_failed"
    ok = client.post(
        "/api/v1/participants", json=participant_body(), headers={"X-CSRFToken": csrf_token(client, "/staff/")}
    )
    assert ok.status_code == 201, ok.get_json()
    # A bearer token needs no CSRF token: no browser sends it on its own.
    assert enrol(app.test_client(), token(app, Role.admin))["id"] > 0


def test_an_ended_cookie_is_a_401_on_the_api(app, client) -> None:  # type: ignore[no-untyped-def]
    client.set_cookie(COOKIE, "made-up")
    resp = client.get("/api/v1/participants")
    assert resp.status_code == 401 and resp.get_json()["code"] == "session_expired"
    # A person following a report link after the session ended signs in again, and comes back to it.
    page = client.get(REPORT, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 302 and page.headers["Location"].startswith("/staff/login?next=/api/v1/reports/")
    assert client.get(REPORT).get_json()["code"] == "session_expired"
    refused = client.post("/api/v1/participants", json={}, headers={"Accept": "text/html"})
    assert refused.status_code == 401 and refused.get_json()["code"] == "session_expired"


@pytest.mark.parametrize("role", [Role.worker])
def test_workers_have_no_browser_login(app, client, role: Role) -> None:  # type: ignore[no-untyped-def]
    admin = token(app, Role.admin)
    pid = enrol(client, admin)["id"]
    from billing import db
    from billing.auth.service import create_user
    from billing.errors import InvalidInput

    with pytest.raises(InvalidInput), db.unit_of_work(app.extensions["billing.engine"]) as s:
        create_user(s, role=role, name="w", participant_id=pid, username="w", password="kata-sandi-yang-panjang")


def test_revoked_user_loses_the_session(app, client) -> None:  # type: ignore[no-untyped-def]
    uid = staff(app, Role.finance)
    sign_in(client, "finance")
    assert client.get("/staff/").status_code == 200
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "revoke", str(uid), "--reason", "left"]).exit_code == 0
    assert client.get("/staff/").status_code == 302
    assert sign_in(app.test_client(), "finance").status_code == 401


def test_other_api_callers_unchanged(app, client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/participants", headers=auth("bk_nope")).get_json()["code"] == "invalid_token"

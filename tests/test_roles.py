"""The role matrix of every ``/api/v1`` endpoint, whoever wrote it: no token or a bad token is 401,
a role the view does not declare is 403, a role it declares gets past the guard (and no 500 on
placeholder input). Endpoints are read from the URL map, so new ones are covered automatically."""

from typing import Any

import pytest

from billing import API_PREFIX
from billing.auth.guard import PUBLIC_ATTR, ROLES_ATTR
from billing.auth.models import Role
from billing.settings import Settings
from tests.api_routes import ALL_RULES, API_RULES, APP, BODY_METHODS, api_cases, url_for_rule
from tests.factories import auth, enrol, token

# Routes outside /api/v1 get no token check at all: each must be meant to be public.
PUBLIC_PREFIXES = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/static/",
    "/staff/login",
    "/staff/logout",
    "/staff/static/",
    # The workers' pages before a worker is signed in (billing/web/worker/): signing in, enrolling, the
    # enrolment form's quote, their styles; the simulated bank's own pages (the gateway's, not ours).
    "/saya/masuk",
    "/saya/keluar",
    "/saya/daftar",
    "/saya/iuran",
    "/saya/static/",
    # The Perisai agents' sign-in and sign-out (billing/web/agent/); their other pages declare the agent role.
    "/agen/masuk",
    "/agen/keluar",
    "/simulator/bank/",
)


def assert_problem(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True))
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A sandbox: outside one the sandbox endpoints refuse every role alike (tested on their own)."""
    return settings.model_copy(update={"sandbox": True})


@pytest.fixture
def tokens(app, client) -> dict[Role, str]:  # type: ignore[no-untyped-def]
    admin = token(app, Role.admin)
    worker_of = enrol(client, admin)["id"]
    return {
        Role.admin: admin,
        Role.finance: token(app, Role.finance),
        Role.manager: token(app, Role.manager),
        Role.worker: token(app, Role.worker, participant_id=worker_of),
        Role.agent: token(app, Role.agent),
    }


def test_every_api_view_declares_its_roles() -> None:
    undeclared = []
    for rule in API_RULES:
        view = APP.view_functions[rule.endpoint]
        declared = getattr(view, ROLES_ATTR, frozenset())
        assert declared <= set(Role), (rule.rule, declared)
        if not declared and not getattr(view, PUBLIC_ATTR, False):
            undeclared.append(f"{sorted(rule.methods or ())} {rule.rule} ({rule.endpoint})")
    assert not undeclared, "views without @roles(...) or @public (deny-by-default is only a safety net):\n" + (
        "\n".join(undeclared)
    )


def test_routes_outside_the_api_are_the_known_public_ones() -> None:
    outside = [r for r in ALL_RULES if not r.rule.startswith(API_PREFIX + "/")]
    # The staff workspace's pages check the browser session and declare their roles (billing/web/access.py).
    unexpected = [
        r.rule
        for r in outside
        if not r.rule.startswith(PUBLIC_PREFIXES) and not getattr(APP.view_functions[r.endpoint], ROLES_ATTR, None)
    ]
    assert not unexpected, f"routes outside {API_PREFIX} skip the token check: {unexpected}"


def test_the_matrix_covers_the_participant_endpoints() -> None:
    # Guards against the matrix silently testing nothing (e.g. a changed prefix).
    ids = {p.id for p in api_cases()}
    assert {"POST /api/v1/participants", "GET /api/v1/participants/<int:participant_id>"} <= ids


@pytest.mark.parametrize(("endpoint", "method"), list(api_cases(include_public=False)))
def test_role_matrix(app, client, tokens, endpoint: str, method: str) -> None:  # type: ignore[no-untyped-def]
    view = app.view_functions[endpoint]
    allowed: frozenset[Role] = getattr(view, ROLES_ATTR, frozenset())
    url = url_for_rule(app, endpoint, method)
    # Refusals come before any body parsing: a broken body still gets 401/403.
    broken = {"data": "{", "content_type": "application/json"} if method in BODY_METHODS else {}

    resp = client.open(url, method=method, **broken)
    assert_problem(resp, 401, "missing_token")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.open(url, method=method, headers=auth("bk_not-a-real-token"), **broken), 401, "invalid_token")

    for role in Role:
        if role in allowed:
            continue
        resp = client.open(url, method=method, headers=auth(tokens[role]), **broken)
        assert_problem(resp, 403, "role_not_allowed")

    for role in sorted(allowed):
        body = {"json": {}} if method in BODY_METHODS else {}
        resp = client.open(url, method=method, headers=auth(tokens[role]), **body)
        assert resp.status_code not in (401, 403), (role, resp.status_code, resp.get_json())
        assert resp.status_code < 500, (role, resp.status_code, resp.get_json())


def test_bearer_scheme_is_case_insensitive(app, client) -> None:  # type: ignore[no-untyped-def]
    tok = token(app, Role.manager)
    for header in (f"Bearer {tok}", f"bearer {tok}", f"BEARER  {tok} "):
        assert client.get("/api/v1/participants", headers={"Authorization": header}).status_code == 200, header
    for header in ("Bearer", "Bearer ", f"Basic {tok}", tok):
        assert_problem(client.get("/api/v1/participants", headers={"Authorization": header}), 401, "missing_token")


def test_revoked_token_is_refused(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    tok = token(app, Role.admin)
    assert client.get("/api/v1/participants", headers=auth(tok)).status_code == 200
    with engine.begin() as conn:
        conn.execute(text("UPDATE api_user SET revoked_at = CURRENT_TIMESTAMP"))
    assert_problem(client.get("/api/v1/participants", headers=auth(tok)), 401, "invalid_token")


def test_worker_sees_only_their_own_participant(app, client) -> None:  # type: ignore[no-untyped-def]
    admin = token(app, Role.admin)
    own, other = enrol(client, admin), enrol(client, admin)
    worker = auth(token(app, Role.worker, participant_id=own["id"]))
    listing = client.get("/api/v1/participants", headers=worker).get_json()
    assert [p["id"] for p in listing["items"]] == [own["id"]]
    assert listing["total"] == 1
    assert client.get(f"/api/v1/participants/{own['id']}", headers=worker).status_code == 200
    assert_problem(client.get(f"/api/v1/participants/{other['id']}", headers=worker), 404, "participant_not_found")

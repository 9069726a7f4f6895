"""``billing users create|list|revoke|set-password``."""

from typing import Any

from sqlalchemy import text

from billing.auth.models import Role
from tests.factories import auth, staff
from tests.web.browser_session import sign_in


def audit_actions(engine: Any) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT action FROM audit_record ORDER BY id")).scalars())


def password_in(output: str) -> str:
    [line] = [x for x in output.splitlines() if x.startswith("kata sandi")]
    return line.split(": ")[-1]


def test_create_a_browser_login_with_a_generated_password(app, engine) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--role", "finance", "--username", "Ani", "--generate-password", "--no-token"]
    )
    assert result.exit_code == 0, result.output
    assert "login /staff/login: ani" in result.output and "bk_" not in result.output
    assert sign_in(app.test_client(), "ani", password_in(result.output)).status_code == 302
    # Prompted, with confirmation, and a token as well.
    prompted = runner.invoke(
        args=["users", "create", "--role", "manager", "--email", "m@bpjs.example", "--password"],
        input="kata-sandi-manajer\nkata-sandi-manajer\n",
    )
    assert prompted.exit_code == 0, prompted.output
    tok = prompted.output.split()[-1]
    assert tok.startswith("bk_")
    assert app.test_client().get("/api/v1/regions", headers=auth(tok)).status_code == 200
    assert sign_in(app.test_client(), "M@bpjs.example", "kata-sandi-manajer").status_code == 302
    assert audit_actions(engine) == ["users.create", "staff.sign_in", "users.create", "staff.sign_in"]


def test_an_agent_login_opens_the_agents_pages(app) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--role", "agent", "--username", "budi", "--generate-password", "--no-token"]
    )
    assert result.exit_code == 0, result.output
    assert "login /agen/masuk: budi" in result.output
    phone = app.test_client()
    signed = sign_in(phone, "budi", password_in(result.output))
    assert signed.status_code == 302 and signed.headers["Location"] == "/agen/"
    assert phone.get("/agen/").status_code == 200 and phone.get("/staff/").status_code == 403


def test_create_refuses_bad_logins(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["users", "create", "--role", "finance", "--username", "a", "--password"], input="x\nx\n"
    )
    assert short.exit_code == 1 and "12" in short.output
    runner.invoke(args=["users", "create", "--role", "finance", "--username", "ani", "--generate-password"])
    taken = runner.invoke(args=["users", "create", "--role", "admin", "--username", "ANI", "--generate-password"])
    assert taken.exit_code == 1 and "taken" in taken.output
    nothing = runner.invoke(args=["users", "create", "--role", "admin", "--no-token"])
    assert nothing.exit_code == 1 and "Traceback" not in nothing.output


def test_list_revoke_and_set_password(app, engine) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    tok = runner.invoke(args=["users", "create", "--role", "admin", "--name", "Robot"]).output.split()[-1]
    uid = staff(app, Role.finance, username="ani")
    listing = runner.invoke(args=["users", "list"]).output
    assert "Robot" in listing and tok[:10] in listing and "ani" in listing and tok not in listing

    browser = app.test_client()
    assert sign_in(browser, "ani").status_code == 302
    changed = runner.invoke(args=["users", "set-password", "ani", "--generate", "--reason", "lupa / forgot"])
    assert changed.exit_code == 0, changed.output
    assert browser.get("/staff/").status_code == 302  # the old session ended
    assert sign_in(app.test_client(), "ani").status_code == 401  # the old password is gone
    assert sign_in(app.test_client(), "ani", password_in(changed.output)).status_code == 302

    client = app.test_client()
    assert client.get("/api/v1/regions", headers=auth(tok)).status_code == 200
    assert runner.invoke(args=["users", "revoke", "1", "--reason", "rotated"]).exit_code == 0
    assert client.get("/api/v1/regions", headers=auth(tok)).status_code == 401
    again = runner.invoke(args=["users", "revoke", "1"])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert runner.invoke(args=["users", "revoke", "nobody"]).exit_code == 1
    assert "revoked" in runner.invoke(args=["users", "list"]).output
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT action, target_id, reason, channel FROM audit_record WHERE action LIKE 'users.%' ORDER BY id")
        ).all()
    assert [tuple(r) for r in audited] == [
        ("users.create", "1", None, "cli"),
        ("users.create", str(uid), None, "cli"),
        ("users.set_password", str(uid), "lupa / forgot", "cli"),
        ("users.revoke", "1", "rotated", "cli"),
    ]

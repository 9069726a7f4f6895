"""``billing users``: tokens for machines, browser logins for staff. Every change is audited."""

import secrets
from collections.abc import Callable
from typing import Any

import click
from flask.cli import with_appcontext
from sqlmodel import Session

from billing.auth.models import Role


def generated_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, about 120 bits


def _password(generate: bool, prompt: bool) -> str | None:
    if generate:
        return generated_password()
    if prompt:
        return click.prompt("Kata sandi / Password", hide_input=True, confirmation_prompt=True)
    return None


def _in_transaction(work: Callable[[Session], Any]) -> Any:
    """Run ``work`` in the command's transaction; a refusal is one line on stderr, exit status 1."""
    from billing import db
    from billing.errors import BillingError

    try:
        with db.unit_of_work(db.engine()) as session:
            return work(session)
    except BillingError as exc:
        raise click.ClickException(exc.detail) from exc


@click.group(help="Pengguna: token API dan login staf / Users: API tokens and staff logins")
def users() -> None:
    pass


@users.command("create", help="Buat pengguna; rahasia ditampilkan sekali / Create a user (secrets shown once)")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--participant", "participant_id", type=int, default=None, help="Wajib untuk role worker")
@click.option("--name", default=None)
@click.option("--username", default=None, help="Login peramban / Browser login")
@click.option("--email", default=None, help="Login peramban / Browser login")
@click.option("--password", "ask", is_flag=True, help="Tanyakan kata sandi / Prompt for a password")
@click.option("--generate-password", "generate", is_flag=True, help="Kata sandi acak / A random password")
@click.option("--token/--no-token", default=True, show_default=True, help="Token API / An API token")
@with_appcontext
def users_create(
    role: str,
    participant_id: int | None,
    name: str | None,
    username: str | None,
    email: str | None,
    ask: bool,
    generate: bool,
    token: bool,
) -> None:
    from billing.auth.service import create_user

    password = _password(generate, ask or ((username or email) is not None and not generate))
    user, clear = _in_transaction(
        lambda s: create_user(
            s,
            role=Role(role),
            name=name or username or role,
            participant_id=participant_id,
            username=username,
            email=email,
            password=password,
            token=token,
        )
    )
    click.echo(f"user {user.id} ({user.role})")
    if user.password_hash:
        page = "/agen/masuk" if user.role is Role.agent else "/staff/login"
        click.echo(f"login {page}: {user.username or user.email}")
        if generate:
            click.echo(f"kata sandi (hanya ditampilkan sekali / shown only once): {password}")
    if clear:
        click.echo("token (hanya ditampilkan sekali / shown only once):")
        click.echo(clear)


@users.command("list", help="Daftar pengguna / List users")
@with_appcontext
def users_list() -> None:
    from billing.auth.service import list_users

    rows = _in_transaction(list_users)
    click.echo(f"{'id':>4}  {'role':<8} {'name':<24} {'login':<28} {'token':<12} state")
    for u in rows:
        state = "revoked" if u.revoked_at else "locked" if u.locked_until else "active"
        login = (u.username or u.email or "-") if u.password_hash else "-"
        click.echo(f"{u.id:>4}  {u.role:<8} {u.name[:24]:<24} {login[:28]:<28} {u.token_prefix or '-':<12} {state}")


@users.command("revoke", help="Cabut token dan login; sesi berakhir / Revoke token and login; sessions end")
@click.argument("user_ref", metavar="USER")
@click.option("--reason", default=None, help="Alasan, untuk jejak audit / Reason, for the audit trail")
@with_appcontext
def users_revoke(user_ref: str, reason: str | None) -> None:
    from billing.auth.service import find_user, revoke

    _in_transaction(lambda s: revoke(s, find_user(s, user_ref), reason))
    click.echo(f"user {user_ref} revoked")


@users.command("set-password", help="Ganti kata sandi; sesi berakhir / Set a password; sessions end")
@click.argument("user_ref", metavar="USER")
@click.option("--generate", is_flag=True, help="Kata sandi acak / A random password")
@click.option("--reason", default=None, help="Alasan, untuk jejak audit / Reason, for the audit trail")
@with_appcontext
def users_set_password(user_ref: str, generate: bool, reason: str | None) -> None:
    from billing.auth.service import find_user, set_password

    password = _password(generate, not generate)
    assert password is not None
    _in_transaction(lambda s: set_password(s, find_user(s, user_ref), password, reason))
    click.echo(f"user {user_ref}: kata sandi diganti / password set")
    if generate:
        click.echo(f"kata sandi (hanya ditampilkan sekali / shown only once): {password}")

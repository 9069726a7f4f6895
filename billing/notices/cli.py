"""``billing notices send`` and ``billing notices list --participant ID``."""

import click
from flask.cli import with_appcontext

from billing import settings as settings_mod


@click.group("notices", help="Pemberitahuan ke peserta / Notices to workers")
def notices() -> None:
    pass


@notices.command("send", help="Kirim pemberitahuan yang tertunda / Send pending notices")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Paling banyak / At most (default: setting)")
@with_appcontext
def notices_send(limit: int | None) -> None:
    from billing import db
    from billing.notices.service import send_due

    sent = send_due(db.engine(), settings_mod.current(), limit)
    click.echo(f"sent {sent}")


@notices.command("list", help="Pemberitahuan seorang peserta / A participant's notices")
@click.option("--participant", "participant_id", type=int, required=True)
@click.option("--limit", type=click.IntRange(min=1, max=200), default=20, show_default=True)
@with_appcontext
def notices_list(participant_id: int, limit: int) -> None:
    from billing import db
    from billing.notices.service import list_for_participant
    from billing.notices.texts import render
    from billing.pagination import PageQuery

    rows, total = list_for_participant(db.session(), participant_id, PageQuery(per_page=limit))
    for n in rows:
        state = f"sent {n.sent_at:%Y-%m-%d %H:%M}" if n.sent_at else f"pending ({n.attempts} tries)"
        click.echo(f"#{n.id} {n.created_at:%Y-%m-%d} {n.kind} {state}")
        if n.last_error:
            click.echo(f"  error: {n.last_error}")
        try:
            click.echo(f"  {render(n.kind, n.params)}")
        except (KeyError, ValueError) as exc:
            click.echo(f"  (cannot render: {exc!r})")
    click.echo(f"{len(rows)} of {total}")

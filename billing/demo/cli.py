from pathlib import Path

import click
from flask.cli import with_appcontext

from billing.settings import INSTANCE_DIR


@click.group(help="Data demo / Demo data")
def demo() -> None:
    pass


@demo.command("seed", help="Isi basis data kosong dengan data demo / Fill an empty database with demo data")
@click.option(
    "--tokens-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=INSTANCE_DIR / "demo-tokens.txt",
    show_default=True,
)
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True, help="Alamat server / Server URL")
@with_appcontext
def seed(tokens_file: Path, base_url: str) -> None:
    from billing import db
    from billing.demo import scenario, tokens
    from billing.settings import today

    session = db.session()
    if scenario.is_empty(session):
        for line in scenario.seed(session, today()):
            click.echo(line)
    else:
        click.echo("Basis data sudah berisi peserta; data demo tidak ditambahkan. / Database has data; not seeding.")
    worker = scenario.worker_participant(session)
    issued = tokens.ensure(session, tokens_file, worker.id if worker else None)

    click.echo(f"\nToken API demo / demo API tokens (disimpan di / kept in {tokens_file}):")
    for role, tok in issued.items():
        note = f"  (peserta / participant {worker.id}: {worker.full_name})" if role == "worker" and worker else ""
        click.echo(f"  {role:<8} {tok}{note}")
    base = base_url.rstrip("/")
    click.echo(f"\n  Swagger UI   {base}/docs")
    click.echo(f"  OpenAPI      {base}/openapi.json")
    click.echo(f"  Health       {base}/healthz")
    if "admin" in issued:
        click.echo(f'\n  curl -H "Authorization: Bearer {issued["admin"]}" {base}/api/v1/participants')

"""``billing demo seed``: the quickstart scenario simulated in a sandbox database, demo tokens, URLs."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from billing.auth.models import Role
from billing.settings import INSTANCE_DIR, current


@click.group(help="Data demo / Demo data")
def demo() -> None:
    pass


@demo.command(
    "seed",
    help="Simulasikan skenario di basis data sandbox, buat token demo / Simulate a scenario in a sandbox "
    "database, issue demo tokens",
)
@click.option("--scenario", "name", default="quickstart", show_default=True, help="Nama atau berkas / Name or file")
@click.option(
    "--tokens-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=INSTANCE_DIR / "demo-tokens.txt",
    show_default=True,
)
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True, help="Alamat server / Server URL")
@click.option("--bank-state", envvar="BILLING_SIMULATOR_STATE", default=None, help="Lihat / see `billing simulate`")
@with_appcontext
def seed(name: str, tokens_file: Path, base_url: str, bank_state: str | None) -> None:
    from billing import db
    from billing.demo import staff, tokens
    from billing.simulation import clock
    from billing.simulation.cli import run_simulation
    from billing.simulation.scenario import load

    found = clock.read(db.engine())
    if found is not None and found.today >= load(found.scenario).period.end:
        click.echo(f"simulasi / simulation {found.scenario}: sudah sampai / already at {found.today}")
        scenario = load(found.scenario)
    else:
        scenario = run_simulation(name, None, None, None, bank_state)
    with db.unit_of_work(db.engine()) as session:
        worker = tokens.worker_participant(session)
        issued = tokens.ensure(session, tokens_file, worker.id if worker else None)
        worker_nik = worker.nik if worker else None
        # The simulation above refuses anything but a sandbox; checked again, since logins print passwords.
        logins = staff.ensure(session) if current().sandbox else {}

    click.echo(f"\nToken API demo / demo API tokens (disimpan di / kept in {tokens_file}):")
    for role, tok in issued.items():
        note = f"  (peserta / participant {worker.id}: {worker.full_name})" if role == "worker" and worker else ""
        click.echo(f"  {role:<8} {tok}{note}")
    base = base_url.rstrip("/")
    r = scenario.report
    query = f"region={r.region}&from={r.first}&to={r.last}"
    if logins:
        click.echo(
            f"\nRuang kerja staf / staff workspace: {base}/staff/login (kata sandi baru tiap kali / new each run)"
        )
        for role, (username, password) in logins.items():
            if role is not Role.agent:
                click.echo(f"  {role:<8} {username:<14} {password}")
    if Role.agent in logins:
        username, password = logins[Role.agent]
        click.echo(f"\nAgen Perisai / Perisai agent: {base}/agen/masuk (a phone: 360 px)")
        click.echo(f"  agent    {username:<14} {password}")
        click.echo("  Daftarkan pekerja, catat tunai, lihat komisi / enrol workers, record cash, read the commission")
    if worker_nik and worker:
        click.echo(f"\nHalaman pekerja / worker self-service: {base}/saya/masuk (a phone: 360 px)")
        click.echo(f"  NIK {worker_nik} ({worker.full_name}); kode masuk 6 digit muncul di log server ini")
        click.echo("  / the 6-digit sign-in code appears in this server's log: otp_sent … code=123456")
        click.echo(f"  Daftar baru / enrol anew: {base}/saya/daftar (kodenya juga di log / its code too)")
    click.echo(f"\n  Swagger UI   {base}/docs")
    click.echo(f"  OpenAPI      {base}/openapi.json")
    click.echo(f"  Health       {base}/healthz")
    click.echo(f"  Churn        {base}/api/v1/reports/churn?{query}&format=html")
    click.echo(f"  Coverage     {base}/api/v1/reports/coverage?{query}&format=html")
    click.echo(f"  Dashboard    {base}/staff/dashboard?{query}")
    click.echo(f"  Sandbox      {base}/api/v1/sandbox/clock")
    if "manager" in issued and "admin" in issued:
        bearer = 'curl -H "Authorization: Bearer {}"'
        click.echo("\n  " + bearer.format(issued["manager"]) + f' "{base}/api/v1/reports/churn?{query}&format=text"')
        click.echo(
            "  "
            + bearer.format(issued["admin"])
            + f' -H "Content-Type: application/json" -d \'{{"days": 7}}\' {base}/api/v1/sandbox/clock/advance'
        )

"""``billing gateway-sim``: the bank simulator behind Stripe's API, for ``BILLING_GATEWAY=stripe``."""

from datetime import datetime

import click

_RATE = click.FloatRange(0.0, 1.0)


@click.command("gateway-sim", help="Simulator bank dengan API Stripe / The bank simulator's Stripe face")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=12111, show_default=True, type=int)
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0), help="Added to every request")
@click.option("--webhook-url", default=None, help="Where signed events are POSTed, e.g. …/api/v1/webhooks/stripe")
@click.option("--webhook-secret", default="whsec_simulator", show_default=True, envvar="BILLING_SIM_WEBHOOK_SECRET")
@click.option("--processing-ms", default=0, show_default=True, type=click.IntRange(0), help="Settle debits later")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0))
@click.option("--state", "state_path", default=None, help="SQLite file keeping the bank's charges between runs")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="A fixed simulated day")
@click.option("--rate-limited-rate", default=0.0, type=_RATE, help="Share of charges answered 429")
@click.option("--gateway-error-rate", default=0.0, type=_RATE, help="Share answered 500, nothing charged")
@click.option("--timeout-before-rate", default=0.0, type=_RATE, help="Share that time out, nothing charged")
@click.option("--timeout-after-rate", default=0.0, type=_RATE, help="Share that time out after charging")
@click.option("--stall-s", default=30.0, show_default=True, help="How long a timed-out request is held")
@click.option("--retry-after-s", default=1, show_default=True, type=click.IntRange(0), help="Retry-After of 429s")
def gateway_sim(today: datetime | None, host: str, port: int, **options: object) -> None:
    from billing.gateways.simulator.stripe_face.server import build, serve

    day = today.date() if today else None
    processing_ms = int(options.pop("processing_ms"))  # type: ignore[call-overload]
    cfg = build(clock=(lambda: day) if day else None, processing_s=processing_ms / 1000, **options)  # type: ignore[arg-type]
    click.echo(f"Stripe face of the bank simulator on http://{host}:{port} (Ctrl-C stops it)")
    serve(cfg, host, port)

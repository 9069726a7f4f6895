"""``billing gateway-sim``: the bank simulator behind Stripe's API (``BILLING_GATEWAY=stripe``) or, with
``--protocol snap``, behind a SNAP provider's direct-debit API (``BILLING_GATEWAY=snap``)."""

from datetime import datetime

import click

_RATE = click.FloatRange(0.0, 1.0)
PORTS = {"stripe": 12111, "snap": 12112}


@click.command(
    "gateway-sim", help="Simulator bank dengan API Stripe atau SNAP / The bank simulator's Stripe or SNAP face"
)
@click.option("--protocol", type=click.Choice(["stripe", "snap"]), default="stripe", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=None, type=int, help="Default 12111 (stripe), 12112 (snap)")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0), help="Added to every request")
@click.option(
    "--webhook-url",
    default=None,
    help="Where signed events (Stripe) or notify callbacks (SNAP) are POSTed, e.g. …/api/v1/webhooks/stripe",
)
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
@click.option("--snap-client-id", default="bpu-autodebit", show_default=True, help="SNAP: the partner's client id")
@click.option(
    "--snap-client-secret", default="snap-simulator-secret", envvar="BILLING_SNAP_CLIENT_SECRET", help="SNAP: HMAC key"
)
@click.option("--snap-client-public-key", default=None, help="SNAP: PEM file of the partner's public key")
@click.option("--snap-private-key", default=None, help="SNAP: PEM file of the bank's key signing callbacks")
def gateway_sim(protocol: str, today: datetime | None, host: str, port: int | None, **options: object) -> None:
    day = today.date() if today else None
    processing_ms = int(options.pop("processing_ms"))  # type: ignore[call-overload]
    snap = {k: options.pop(k) for k in list(options) if k.startswith("snap_")}
    port = port or PORTS[protocol]
    clock = (lambda: day) if day else None
    if protocol == "snap":
        from billing.gateways.simulator.snap_face import build as build_snap
        from billing.gateways.simulator.snap_face import serve as serve_snap

        if not snap["snap_client_public_key"]:
            raise click.UsageError("--protocol snap needs --snap-client-public-key (the partner's public key)")
        options.pop("webhook_secret")
        options.pop("retry_after_s")
        notify_url = options.pop("webhook_url")
        cfg = build_snap(
            client_public_key_path=str(snap["snap_client_public_key"]),
            private_key_path=str(snap["snap_private_key"]) if snap["snap_private_key"] else None,
            client_id=str(snap["snap_client_id"]),
            client_secret=str(snap["snap_client_secret"]),
            clock=clock,
            processing_s=processing_ms / 1000,
            notify_url=notify_url,  # type: ignore[arg-type]
            **options,
        )
        click.echo(f"SNAP face of the bank simulator on http://{host}:{port} (Ctrl-C stops it)")
        serve_snap(cfg, host, port)
        return
    from billing.gateways.simulator.stripe_face.server import build, serve

    stripe_cfg = build(clock=clock, processing_s=processing_ms / 1000, **options)  # type: ignore[arg-type]
    click.echo(f"Stripe face of the bank simulator on http://{host}:{port} (Ctrl-C stops it)")
    serve(stripe_cfg, host, port)

"""HTTP gateway benchmark: a debit run of N charges through the Stripe adapter against the bank
simulator's Stripe face (``billing gateway-sim``, its own process) with injected latency, or with
``--protocol snap`` through the SNAP adapter against the simulator's SNAP face (signed requests). Prints, per
concurrency, the charges per second achieved by the whole run (planning, charging, resolving) and by
``charge_many`` alone, against the ideal: concurrency ÷ latency.

    python bench/gateway_http.py --charges 20000 --latency-ms 50 --concurrency 32 64 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1/bench_http

The database is dropped and created anew, with the migrations applied, for each concurrency."""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from debit_run import DAY, fresh_database, populate

from billing.db import make_engine
from billing.debits.execution import DayClock, work
from billing.debits.policy import from_settings as retry_policy
from billing.debits.service import start_debit_run
from billing.gateways.base import ChargeRequest, ChargeResult
from billing.gateways.snap import signing
from billing.gateways.snap.client import SnapGateway
from billing.gateways.snap.settings import SnapSettings
from billing.gateways.stripe.client import StripeGateway
from billing.gateways.stripe.settings import StripeSettings
from billing.settings import Settings


class Timed:
    """The adapter, with the wall time spent inside ``charge_many`` added up (batches may overlap)."""

    def __init__(self, gateway: StripeGateway | SnapGateway) -> None:
        self.gateway = gateway
        self.name = gateway.name
        self.charges = 0
        self._lock = threading.Lock()
        self._busy = 0
        self._since = 0.0
        self.charging_s = 0.0

    def charge_many(self, reqs: Sequence[ChargeRequest]) -> list[ChargeResult]:
        with self._lock:
            if self._busy == 0:
                self._since = time.perf_counter()
            self._busy += 1
        try:
            return self.gateway.charge_many(reqs)
        finally:
            with self._lock:
                self._busy -= 1
                self.charges += len(reqs)
                if self._busy == 0:
                    self.charging_s += time.perf_counter() - self._since

    def __getattr__(self, name: str) -> object:
        return getattr(self.gateway, name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_face(port: int, latency_ms: int, protocol: str, keys: Path) -> subprocess.Popen[bytes]:
    cmd = [str(Path(sys.executable).parent / "billing"), "gateway-sim", "--port", str(port), "--protocol", protocol]
    if protocol == "snap":
        cmd += ["--snap-client-public-key", str(keys / "partner.pub.pem")]
    # A process outside a sandbox needs a secret key of its own; the caller's wins.
    env = {"BILLING_SECRET_KEY": "bench-only-secret", **os.environ}
    face = subprocess.Popen([*cmd, "--latency-ms", str(latency_ms), "--today", DAY.isoformat()], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/payment_intents/none", timeout=1)  # any answer will do
            return face
        except httpx.TransportError:
            time.sleep(0.2)
    face.kill()
    raise SystemExit(f"the {protocol} face did not start")


def adapter(args: argparse.Namespace, port: int, concurrency: int, keys: Path) -> StripeGateway | SnapGateway:
    url = f"http://127.0.0.1:{port}"
    if args.protocol == "snap":
        return SnapGateway(
            SnapSettings(base_url=url, concurrency=concurrency, private_key_path=str(keys / "partner.pem"))
        )
    return StripeGateway(StripeSettings(base_url=url, concurrency=concurrency, api_key="sk_test_bench"))


def run(url: str, args: argparse.Namespace, concurrency: int) -> dict[str, float]:
    fresh_database(url)
    settings = Settings(database_url=url, debit_batch_size=args.batch_size, log_level="WARNING")
    engine = make_engine(url)
    populate(engine, args.charges)
    port = free_port()
    keys = Path(tempfile.mkdtemp(prefix="bench-keys-"))  # the SNAP partner's key pair, for this run only
    signing.write_key_pair(keys / "partner.pem", keys / "partner.pub.pem")
    face = start_face(port, args.latency_ms, args.protocol, keys)
    try:
        gateway = Timed(adapter(args, port, concurrency, keys))
        clock, policy = DayClock(DAY), retry_policy(settings)
        lease = timedelta(seconds=settings.lease_seconds)
        started = time.perf_counter()
        start_debit_run(engine, settings, DAY)
        # Two workers share the adapter: one resolves its batch in the database while the other charges.
        workers = [
            threading.Thread(
                target=work, args=(engine, gateway, policy, lease), kwargs={"clock": clock, "owner": f"w{i}"}
            )
            for i in range(args.workers)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        run_s = time.perf_counter() - started
        gateway.gateway.close()
    finally:
        face.terminate()
        face.wait(timeout=10)
        shutil.rmtree(keys)
    with engine.connect() as conn:
        outcomes = dict(conn.execute(text("SELECT status, COUNT(*) FROM debit_attempt GROUP BY status")).all())
    engine.dispose()
    assert sum(outcomes.values()) == args.charges and gateway.charges == args.charges, outcomes
    print(f"  outcomes {outcomes}")
    return {"run_s": run_s, "charging_s": gateway.charging_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocol", choices=["stripe", "snap"], default="stripe")
    parser.add_argument("--charges", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/billing_bench_http")
    parser.add_argument("--workers", type=int, default=2, help="debit worker threads sharing the adapter")
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    for concurrency in args.concurrency:
        ideal = concurrency / (args.latency_ms / 1000)
        print(f"{args.protocol}: concurrency {concurrency}, latency {args.latency_ms} ms, {args.charges:,} charges")
        t = run(args.database_url, args, concurrency)
        whole, charging = args.charges / t["run_s"], args.charges / t["charging_s"]
        print(f"  ideal             {ideal:8,.0f} charges/s")
        print(f"  whole debit run   {whole:8,.0f} charges/s  {whole / ideal:6.1%} of ideal  ({t['run_s']:.1f} s)")
        print(f"  charge_many only  {charging:8,.0f} charges/s  {charging / ideal:6.1%} of ideal  (target >= 80%)")


if __name__ == "__main__":
    main()

"""``billing worker`` processes killed with SIGKILL at random moments while they hold a batch, and
started again, until the debit run is done."""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from tests.debits.world import rows


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    cmd = [str(Path(sys.executable).parent / "billing"), "worker", "--poll", "0.2"]
    return subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def kill_until_done(
    engine: Engine,
    env: dict[str, str],
    log: Path,
    rng: random.Random,
    max_kills: int,
    workers: int = 3,
    pause: tuple[float, float] = (0.5, 1.5),
    timeout_s: float = 240,
) -> int:
    """Runs ``workers`` workers until every batch is done, killing a busy one (it holds a lease, and
    maybe charged already) after each random pause, at most ``max_kills`` times. Returns the kills."""
    running = [start_worker(env, log) for _ in range(workers)]
    kills = 0
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if rows(engine, "SELECT COUNT(*) FROM debit_batch WHERE status <> 'done'")[0][0] == 0:
                return kills
            time.sleep(rng.uniform(*pause))
            if kills == max_kills:
                continue  # enough damage: let the survivors finish the run
            owners = {o for (o,) in rows(engine, "SELECT lease_owner FROM debit_batch WHERE status = 'claimed'")}
            busy = [i for i, w in enumerate(running) if any(o.endswith(f":{w.pid}") for o in owners)]
            if not busy:
                continue
            victim = rng.choice(busy)
            running[victim].send_signal(signal.SIGKILL)
            running[victim].wait()
            kills += 1
            running[victim] = start_worker(env, log)
        raise AssertionError(f"the run did not finish; worker log:\n{log.read_text()[-3000:]}")
    finally:
        for w in running:
            w.send_signal(signal.SIGKILL)
            w.wait()

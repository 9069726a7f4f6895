"""Debit runs as finance sees them: progress and counts by outcome."""

from datetime import date

from tests.debits.world import World, enrol
from tests.factories import auth, token

DAY = date(2024, 6, 5)


def test_run_progress_and_outcomes(app, client, engine, settings) -> None:  # type: ignore[no-untyped-def]
    for method in ("sim_ok", "sim_ok", "sim_insufficient_funds", "sim_account_closed"):
        enrol(engine, date(2024, 6, 1), method)
    World.create(engine, settings, DAY).day(DAY)
    finance = auth(token(app, "finance"))

    listing = client.get("/api/v1/debit-runs", headers=finance).get_json()
    assert listing["total"] == 1
    [run] = listing["items"]
    assert (run["run_date"], run["status"], run["planned"]) == ("2024-06-05", "completed", 4)

    detail = client.get(f"/api/v1/debit-runs/{run['id']}", headers=finance).get_json()
    assert detail["batches_total"] == detail["batches_done"] == 1
    assert detail["by_outcome"] == {"succeeded": 2, "failed": 2}
    assert detail["by_failure_code"] == {"insufficient_funds": 1, "account_closed": 1}
    assert detail["amount_collected"] == 2 * 16_800

    assert client.get("/api/v1/debit-runs?from=2024-06-06", headers=finance).get_json()["total"] == 0
    missing = client.get("/api/v1/debit-runs/999", headers=finance)
    assert missing.status_code == 404 and missing.get_json()["code"] == "debit_run_not_found"

"""Eight simultaneous requests to cancel, or to register again, one participant: exactly one changes
the status and writes its event, the others get 409 (threads, each with its own client)."""

import threading
from datetime import date

import pytest
from sqlalchemy import text

from tests.debits.world import enrol, rows
from tests.factories import auth, token

REQUESTS = 8
BURSTS = 5


def _burst(app, url: str, headers: dict[str, str]) -> list[tuple[int, str | None]]:  # type: ignore[no-untyped-def]
    start = threading.Barrier(REQUESTS)
    answers: list[tuple[int, str | None]] = []

    def one() -> None:
        client = app.test_client()
        start.wait()
        resp = client.post(url, json={}, headers=headers)
        answers.append((resp.status_code, (resp.get_json() or {}).get("code")))

    threads = [threading.Thread(target=one) for _ in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


@pytest.mark.parametrize(
    ("action", "from_status", "kind", "loser_code"),
    [
        ("cancel", "active", "cancelled", "participant_not_active"),
        ("reregister", "ended", "reactivated", "participant_not_ended"),
    ],
)
def test_one_of_simultaneous_changes_wins(app, engine, action, from_status, kind, loser_code) -> None:  # type: ignore[no-untyped-def]
    finance = auth(token(app, "finance"))
    for _ in range(BURSTS):
        pid = enrol(engine, date(2025, 1, 6), None)
        with engine.begin() as conn:
            conn.execute(text("UPDATE participant SET status = :s WHERE id = :p"), {"s": from_status, "p": pid})
        answers = _burst(app, f"/api/v1/participants/{pid}/{action}", finance)
        assert sorted(code for code, _ in answers) == [200] + [409] * (REQUESTS - 1), answers
        assert {c for code, c in answers if code == 409} <= {loser_code, "participant_changed"}, answers
        assert rows(
            engine, "SELECT COUNT(*) FROM coverage_event WHERE participant_id = :p AND kind = :k", p=pid, k=kind
        ) == [(1,)]

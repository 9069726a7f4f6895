from datetime import date

import pytest


@pytest.fixture(autouse=True)
def _enrolled_in_2025(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Participants enrolled through the API join in January 2025: billing starts with the enrolment
    month, and these tests bill months from December 2025 on."""
    monkeypatch.setattr("billing.participants.api.today", lambda: date(2025, 1, 6))

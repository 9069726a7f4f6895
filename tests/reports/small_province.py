"""A province small enough to count by hand: seven participants, two regencies of Bangka Belitung (19)
and one of Jambi (15), coverage events only, and workforce figures for 2024. The dashboard tests
check their figures against the counts written out below.

End of January 2024 (the opening of a February–March view), active: P1 P2 (19.71), P4 (19.01), P6 (15.04).
February: P3 activated (19.71); P7 activated (19.01); P2 entered arrears (19.71).
March: P4 cancelled (19.01); P5 activated (19.01).
End of March, active: P1 P3 (19.71), P5 P7 (19.01), P6 (15.04); in arrears: P2.
"""

from datetime import date

from sqlalchemy import Engine, insert

from billing.coverage.models import CoverageEvent
from billing.participants.models import Participant
from billing.regions.models import RegionWorkforce

TODAY = date(2024, 4, 10)
FIRST, LAST = "2024-02", "2024-03"

# participant: (regency, [(day, kind, from, to, cause)])
PEOPLE: dict[int, tuple[str, list[tuple[date, str, str | None, str, str | None]]]] = {
    1: ("19.71", [(date(2024, 1, 5), "enrolled", None, "registered", None),
                  (date(2024, 1, 10), "activated", "registered", "active", None)]),
    2: ("19.71", [(date(2024, 1, 5), "enrolled", None, "registered", None),
                  (date(2024, 1, 10), "activated", "registered", "active", None),
                  (date(2024, 2, 15), "entered_arrears", "active", "in_arrears", "insufficient_funds")]),
    3: ("19.71", [(date(2024, 2, 3), "enrolled", None, "registered", None),
                  (date(2024, 2, 10), "activated", "registered", "active", None)]),
    4: ("19.01", [(date(2024, 1, 2), "enrolled", None, "registered", None),
                  (date(2024, 1, 3), "activated", "registered", "active", None),
                  (date(2024, 3, 20), "cancelled", "active", "cancelled", "voluntary")]),
    5: ("19.01", [(date(2024, 3, 1), "enrolled", None, "registered", None),
                  (date(2024, 3, 5), "activated", "registered", "active", None)]),
    6: ("15.04", [(date(2024, 1, 2), "enrolled", None, "registered", None),
                  (date(2024, 1, 3), "activated", "registered", "active", None)]),
    7: ("19.01", [(date(2024, 2, 1), "enrolled", None, "registered", None),
                  (date(2024, 2, 2), "activated", "registered", "active", None)]),
}  # fmt: skip

# Potential workers and the UCJ target (basis points) for 2024. Jambi has none: no coverage there.
WORKFORCE = {"19": (20, 5500), "19.71": (10, 5200), "19.01": (8, 5000)}


def seed(engine: Engine) -> None:
    participants, events = [], []
    for n, (region, history) in PEOPLE.items():
        on = history[0][0]
        participants.append(
            {
                "id": n,
                "nik": f"{n:016d}",
                "full_name": f"Peserta {n}",
                "phone": "+6281234567890",
                "gender": "L",
                "birth_date": date(1990, 1, 1),
                "region_code": region,
                "ecosystem": "pasar",
                "sector": "pedagang",
                "sector_category": "perdagangan",
                "declared_income": 1_000_000,
                "jht": False,
                "status": history[-1][3],
                "enrolment_source": "api",
                "enrolled_on": on,
                "membership_from": on.replace(day=1),
            }
        )
        for day, kind, before, after, cause in history:
            events.append(
                {
                    "participant_id": n,
                    "occurred_on": day,
                    "kind": kind,
                    "from_status": before,
                    "to_status": after,
                    "cause": cause,
                }
            )
    workforce = [
        {"region_code": code, "year": 2024, "potential_workers": potential, "coverage_target_bp": target}
        for code, (potential, target) in WORKFORCE.items()
    ]
    with engine.begin() as conn:
        conn.execute(insert(Participant), participants)
        conn.execute(insert(CoverageEvent), events)
        conn.execute(insert(RegionWorkforce), workforce)

"""Every table, imported once so that ``SQLModel.metadata`` is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from billing.auth.models import ApiUser
from billing.coverage.models import CoverageEvent
from billing.participants.models import Participant
from billing.regions.models import Region, RegionWorkforce

metadata = SQLModel.metadata

__all__ = ["ApiUser", "CoverageEvent", "Participant", "Region", "RegionWorkforce", "metadata"]

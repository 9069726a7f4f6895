import pytest

from billing.settings import Settings


@pytest.fixture
def settings(db_url: str) -> Settings:
    """A sandbox deployment: the simulation and the clock API refuse anything else."""
    return Settings(database_url=db_url, log_json=False, log_level="WARNING", sandbox=True)

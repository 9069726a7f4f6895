"""Where ``sql/`` is (the Alembic migrations and the report queries).

The repository keeps it at the top level, beside ``billing/``; a wheel carries it inside the package
as ``billing/_sql`` (``force-include`` in pyproject.toml), so ``pip install .`` runs without the
checkout."""

from functools import cache
from importlib import resources
from pathlib import Path

PACKAGED = "_sql"


@cache
def sql_dir() -> Path:
    packaged = resources.files("billing") / PACKAGED
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    # A checkout, or an editable install of one: billing/ sits beside sql/.
    checkout = Path(__file__).resolve().parent.parent / "sql"
    if not checkout.is_dir():
        raise FileNotFoundError(f"the sql directory is neither {packaged} nor {checkout}")
    return checkout

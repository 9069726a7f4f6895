"""Tariffs: income brackets, programme rates and discount rules, seeded as effective-dated data.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PP_44_2015 = date(2015, 7, 1)
STEP = 500_000
TOP_WAGE = 20_000_000


def _brackets() -> list[dict[str, object]]:
    """PP 44/2015 Lampiran II as amended. Only the lowest bracket (up to Rp 1,000,000 insured at
    Rp 1,000,000) is confirmed; the Rp 500,000 steps up to Rp 20,000,000 are uncertain configuration
    data: correct them with a new migration that closes these rows (valid_to) and adds new ones."""
    rows: list[dict[str, object]] = [
        {"income_floor": 0, "income_ceiling": 1_000_000, "insured_wage": 1_000_000},
    ]
    for wage in range(1_000_000 + STEP, TOP_WAGE + 1, STEP):
        ceiling = None if wage == TOP_WAGE else wage
        rows.append({"income_floor": wage - STEP + 1, "income_ceiling": ceiling, "insured_wage": wage})
    return [{**r, "valid_from": PP_44_2015, "valid_to": None} for r in rows]


def upgrade() -> None:
    discount = op.create_table(
        "tariff_discount_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("legal_basis", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("programs", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("percent_off", sa.Integer(), nullable=False),
        sa.Column("sector_category", sa.String(length=17), nullable=True),
        sa.Column("exclude_sector_category", sa.String(length=17), nullable=True),
        sa.Column("exclude_payers", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        info={"reference": True},
    )
    bracket = op.create_table(
        "tariff_income_bracket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("income_floor", sa.BigInteger(), nullable=False),
        sa.Column("income_ceiling", sa.BigInteger(), nullable=True),
        sa.Column("insured_wage", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        info={"reference": True},
    )
    rate = op.create_table(
        "tariff_program_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=7), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("base", sa.String(length=8), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        info={"reference": True},
    )

    op.bulk_insert(bracket, _brackets())
    # JKK 1% (100 bp) of the bracket's insured wage; JKM flat Rp 6,800; JHT 2% of declared income.
    rates = [
        {"program": "JKK", "kind": "percent", "rate": 100, "base": "bracket"},
        {"program": "JKM", "kind": "flat", "rate": 6_800, "base": None},
        {"program": "JHT", "kind": "percent", "rate": 200, "base": "declared"},
    ]
    op.bulk_insert(rate, [{**r, "valid_from": PP_44_2015, "valid_to": None} for r in rates])
    # PP 50/2025: JKK and JKM at half price for BPU, one window per sector group, never for
    # contributions paid from government budgets. JHT is not discounted.
    pp_50 = {"legal_basis": "PP 50/2025", "programs": "JKK,JKM", "percent_off": 50, "exclude_payers": "sponsor_apbd"}
    op.bulk_insert(
        discount,
        [
            {
                **pp_50,
                "name": "PP 50/2025 transportasi",
                "sector_category": "transport",
                "exclude_sector_category": None,
                "valid_from": date(2026, 1, 1),
                "valid_to": date(2027, 3, 31),
            },
            {
                **pp_50,
                "name": "PP 50/2025 sektor lain",
                "sector_category": None,
                "exclude_sector_category": "transport",
                "valid_from": date(2026, 4, 1),
                "valid_to": date(2026, 12, 31),
            },
        ],
    )


def downgrade() -> None:
    op.drop_table("tariff_program_rate")
    op.drop_table("tariff_income_bracket")
    op.drop_table("tariff_discount_rule")

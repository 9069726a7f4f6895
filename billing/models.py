"""Every table, imported once so that ``SQLModel.metadata`` is complete (Alembic, tests).
A new domain package adds its ``models`` module here."""

from sqlmodel import SQLModel

import billing.agents.models
import billing.audit.models
import billing.auth.models
import billing.casework.models
import billing.contributions.models
import billing.coverage.models
import billing.debits.models
import billing.failed_debits.models
import billing.ledger.models
import billing.mandates.models
import billing.notices.models
import billing.otp.models
import billing.participants.models
import billing.payments.models
import billing.reconciliation.models
import billing.regions.models
import billing.reports.models
import billing.simulation.models
import billing.sponsors.models
import billing.tariffs.models
import billing.webhooks.models  # noqa: F401

metadata = SQLModel.metadata

"""The audit trail: who did what to which record, append-only (triggers refuse UPDATE and DELETE)."""

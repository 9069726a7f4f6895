"""The double-entry ledger: every money movement as one balanced transfer, and its verification."""

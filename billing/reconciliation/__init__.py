"""Reconciliation of our receipts with the gateway's (or the bank's) settlement files."""

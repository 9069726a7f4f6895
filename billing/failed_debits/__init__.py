"""Finance's failed-debit queue: one row per month whose latest debit failed or is unknown, its
filters, keyset pages, CSV export, case assignment and bulk actions over a filtered selection."""

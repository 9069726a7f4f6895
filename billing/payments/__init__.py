"""Money other than debits: receipts, participant credit, refunds, and the gateway taking money back."""

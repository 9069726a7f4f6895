"""The SNAP adapter: Bank Indonesia's Standar Nasional Open API Pembayaran direct debit (account
binding, payment, status inquiry, refund, notify callbacks), spoken by Indonesian banks and e-wallets
directly or through aggregators."""

from billing.gateways.snap.settings import SnapSettings, from_settings

__all__ = ["SnapSettings", "from_settings"]

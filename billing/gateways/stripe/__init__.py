"""The Stripe adapter: PaymentIntents over Stripe's REST API (or stripe-mock, localstripe, or the bank
simulator's Stripe face), webhook signatures and the mapping of Stripe's codes onto our taxonomy."""

from billing.gateways.stripe.settings import StripeSettings, from_settings

__all__ = ["StripeSettings", "from_settings"]

"""SetupIntents: binding a payer's payment method for later off-session charges, in Stripe's wire
format (``POST /v1/setup_intents``, ``POST /v1/setup_intents/{id}/confirm``, ``GET
/v1/setup_intents/{id}``). A bank or 3-D Secure confirmation answers ``requires_action`` with
``next_action.redirect_to_url.url``, where the payer confirms and from which Stripe sends them back to
``return_url``; the binding is then read by its id, never taken from the browser.

Stripe collects the payment method itself (Stripe.js or Checkout): a setup without one
(``SetupRequest.payment_method``) is refused here, since these pages load no third-party script."""

from typing import Any

from billing.gateways.base import GatewayError, SetupRequest, SetupResult, SetupStatus
from billing.gateways.stripe.intents import KEY_FIELD

_PENDING = frozenset({"requires_action", "requires_confirmation", "processing"})


def create_params(req: SetupRequest, method_type: str) -> dict[str, Any]:
    return {
        "customer": req.customer,
        "usage": "off_session",
        "payment_method_types": [method_type],
        "metadata": {**req.metadata, KEY_FIELD: req.idempotency_key},
    }


def confirm_params(req: SetupRequest) -> dict[str, Any]:
    if not req.payment_method:
        raise GatewayError(
            "Stripe collects the payment method itself (Stripe.js or Checkout); a setup needs its pm_… id"
        )
    return {"payment_method": req.payment_method, "return_url": req.return_url}


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def result(body: dict[str, Any]) -> SetupResult:
    """A SetupIntent as our ``SetupResult``: its payment method is charged with its customer."""
    reference = str(body.get("id", ""))
    status = body.get("status")
    method = _id(body.get("payment_method"))
    customer = _id(body.get("customer"))
    if status == "succeeded" and method:
        token = f"{customer}:{method}" if customer else method
        return SetupResult(reference, SetupStatus.succeeded, payment_method=token)
    if status in _PENDING:
        action = body.get("next_action") or {}
        redirect = action.get("redirect_to_url") if action.get("type") == "redirect_to_url" else None
        url = redirect.get("url") if isinstance(redirect, dict) else None
        return SetupResult(reference, SetupStatus.requires_action, next_action_url=url)
    error = body.get("last_setup_error") or {}
    code = error.get("decline_code") or error.get("code") or str(status)
    return SetupResult(reference, SetupStatus.failed, failure_code=code, message=str(error.get("message", "")))

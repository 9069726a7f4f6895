"""Stripe's error and decline codes mapped onto our failure taxonomy, as data.

A declined PaymentIntent carries an error object (``type``, ``code``, ``decline_code``, sometimes
``advice_code``). The decline code is the issuer's reason and the most specific, so it is looked up
first, then the error code. ``advice_code`` can only make a soft failure stop: an issuer saying
"do not try again" turns a retryable decline into one that needs the worker to act.
Codes not listed fall back on the HTTP status: 402 a generic decline, 429 rate limited, 5xx a
gateway error.
"""

from billing.gateways.failures import FailureClass, FailureCode, rule

_F = FailureCode

# Keys are Stripe's ``decline_code`` or ``code`` values (card and bank-debit flavours).
CODES: dict[str, FailureCode] = {
    # Soft: the account may pay later.
    "insufficient_funds": _F.insufficient_funds,
    "balance_insufficient": _F.insufficient_funds,
    "do_not_honor": _F.do_not_honor,
    "generic_decline": _F.generic_decline,
    "card_declined": _F.generic_decline,  # localstripe's only decline: no decline_code beside it
    "processing_error": _F.generic_decline,  # stored with its key by Stripe: a replay cannot fix it
    "try_again_later": _F.generic_decline,
    "card_velocity_exceeded": _F.limit_exceeded,
    "withdrawal_count_limit_exceeded": _F.limit_exceeded,
    "amount_too_large": _F.limit_exceeded,
    # Hard: the worker must act.
    "expired_card": _F.invalid_account,
    "incorrect_number": _F.invalid_account,
    "invalid_number": _F.invalid_account,
    "invalid_account": _F.invalid_account,
    "card_not_supported": _F.invalid_account,
    "bank_account_invalid_details": _F.invalid_account,
    "invalid_account_number": _F.invalid_account,
    "no_account": _F.invalid_account,
    "bank_account_unusable": _F.invalid_account,
    "resource_missing": _F.invalid_account,  # the payment method no longer exists
    "bank_account_closed": _F.account_closed,
    "account_closed": _F.account_closed,
    "lost_card": _F.account_blocked,
    "stolen_card": _F.account_blocked,
    "pickup_card": _F.account_blocked,
    "restricted_card": _F.account_blocked,
    "bank_account_restricted": _F.account_blocked,
    "bank_account_frozen": _F.account_blocked,
    "account_frozen": _F.account_blocked,
    "bank_account_blocked": _F.account_blocked,
    "debit_not_authorized": _F.mandate_revoked,
    "revocation_of_authorization": _F.mandate_revoked,
    "revocation_of_all_authorizations": _F.mandate_revoked,
    "authentication_required": _F.authentication_required,
    "payment_intent_authentication_failure": _F.authentication_required,
    # Transient: nothing was processed.
    "rate_limit": _F.rate_limited,
    "lock_timeout": _F.gateway_error,
}

# What an issuer's advice makes of a soft failure.
ADVICE: dict[str, FailureCode] = {
    "do_not_try_again": _F.account_blocked,
    "confirm_card_data": _F.invalid_account,
}


def failure_code(error: dict[str, object], http_status: int = 402) -> FailureCode:
    """Our code for a Stripe error object (an API error body's ``error``, or ``last_payment_error``)."""
    found = None
    for key in ("decline_code", "code"):
        value = error.get(key)
        if isinstance(value, str) and value in CODES:
            found = CODES[value]
            break
    if found is None:
        if http_status == 429:
            return _F.rate_limited
        return _F.gateway_error if http_status >= 500 else _F.generic_decline
    advice = error.get("advice_code")
    if isinstance(advice, str) and advice in ADVICE and rule(found).failure_class is FailureClass.soft:
        return ADVICE[advice]
    return found


def raw_code(error: dict[str, object]) -> str:
    """Stripe's own codes, kept for support: ``card_declined/insufficient_funds/try_again_later``."""
    parts = [error.get(k) for k in ("code", "decline_code", "advice_code")]
    return "/".join(p for p in parts if isinstance(p, str) and p) or str(error.get("type") or "error")

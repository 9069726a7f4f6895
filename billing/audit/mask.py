"""Request bodies as the audit trail keeps them: NIKs and phone numbers masked as in the logs, secrets
dropped."""

from typing import Any

from billing.observability import redact

_SECRET_KEYS = ("password", "token", "secret")
# A huge body (a bulk import) is summarised rather than copied into every audit row.
MAX_BODY_CHARS = 16_000


# Deeper structures are cut: no request body of ours nests this far.
MAX_DEPTH = 12


def mask(value: Any, depth: int = 0) -> Any:
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {
            k: "***" if any(s in str(k).lower() for s in _SECRET_KEYS) else mask(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask(v, depth + 1) for v in value]
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int) and not isinstance(value, bool):
        masked = redact(str(value))
        return value if masked == str(value) else masked
    return value


def body_for_audit(data: Any, size: int) -> Any:
    if size > MAX_BODY_CHARS:
        return {"omitted": True, "bytes": size}
    return mask(data)

"""Stripe's wire format: form-encoded bodies with nested keys (``metadata[attempt_id]=7``), and
amounts in the currency's minor unit. Stripe treats IDR as a two-decimal currency, so Rp 16,800 is
``amount=1680000``; our amounts are whole rupiah and are converted here, at the boundary."""

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, unquote_plus

# Currencies whose Stripe amount is the whole unit itself (a sample of Stripe's zero-decimal list).
ZERO_DECIMAL = frozenset({"jpy", "krw", "vnd", "clp", "pyg", "xaf", "xof"})
_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what ``quote_plus`` leaves as it is


def to_minor(amount: int, currency: str) -> int:
    return amount if currency.lower() in ZERO_DECIMAL else amount * 100


def from_minor(amount: int, currency: str) -> int:
    """Whole units; ValueError when the amount has a fraction (never for what we sent)."""
    if currency.lower() in ZERO_DECIMAL:
        return amount
    whole, cents = divmod(amount, 100)
    if cents:
        raise ValueError(f"{amount} {currency} minor units is not a whole amount")
    return whole


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(f"{prefix}[{k}]" if prefix else str(k), v)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _flatten(f"{prefix}[{i}]", v)
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    elif value is not None:
        yield prefix, str(value)


# Both ends run once per charge, at a thousand charges a second: keys (a handful of distinct ones)
# are quoted and split once, and values that need no quoting skip ``quote_plus``.
@lru_cache(maxsize=1024)
def _quoted_key(key: str) -> str:
    return quote_plus(key)


@lru_cache(maxsize=1024)
def _key_path(raw_key: str) -> tuple[str, ...]:
    """``metadata%5Ba%5D`` → ``("metadata", "a")``."""
    key = unquote_plus(raw_key)
    return tuple(a or b for a, b in _KEY.findall(key)) or (key,)


def _quoted(value: str) -> str:
    return value if _UNRESERVED.fullmatch(value) else quote_plus(value)


def encode(params: Mapping[str, Any]) -> bytes:
    """``{"metadata": {"a": 1}, "confirm": True}`` → ``metadata[a]=1&confirm=true`` (brackets %-quoted),
    byte for byte what ``urlencode`` makes."""
    return "&".join([f"{_quoted_key(k)}={_quoted(v)}" for k, v in _flatten("", params)]).encode()


def decode(body: bytes | str) -> dict[str, Any]:
    """The inverse of ``encode`` for nested mappings (what a Stripe-like server reads), parsed as
    ``parse_qsl(keep_blank_values=True)`` would."""
    text = body.decode() if isinstance(body, bytes) else body
    out: dict[str, Any] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        raw_key, _, value = pair.partition("=")
        *parents, leaf = _key_path(raw_key)
        node = out
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"parameter {unquote_plus(raw_key)!r} conflicts with another")
            node = child
        node[leaf] = unquote_plus(value)
    return out

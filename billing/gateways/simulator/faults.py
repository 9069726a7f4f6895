"""Injected faults. Whether a call fails is drawn from (seed, idempotency key, attempt number), not from
a shared random stream, so the outcome does not depend on call order or on which process asks."""

import hashlib
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    gateway_error = "gateway_error"  # a 5xx before anything was charged
    rate_limited = "rate_limited"  # a 429 before anything was charged
    timeout_before = "timeout_before"  # no answer, and the charge never took effect
    timeout_after = "timeout_after"  # no answer, but the charge took effect (or was declined) at the bank


@dataclass(frozen=True, slots=True)
class FaultRates:
    """Probability of each fault per call that reaches the bank; replays of recorded keys never fault."""

    gateway_error: float = 0.0
    rate_limited: float = 0.0
    timeout_before: float = 0.0
    timeout_after: float = 0.0

    def __post_init__(self) -> None:
        rates = (self.gateway_error, self.rate_limited, self.timeout_before, self.timeout_after)
        if min(rates) < 0 or sum(rates) > 1:
            raise ValueError("fault rates must be non-negative and add up to at most 1")

    @property
    def active(self) -> bool:
        return bool(self.gateway_error or self.rate_limited or self.timeout_before or self.timeout_after)

    def draw(self, seed: int, key: str, attempt: int) -> Fault | None:
        digest = hashlib.blake2b(f"{seed}:{key}:{attempt}".encode(), digest_size=8).digest()
        u = int.from_bytes(digest) / 2**64
        for fault in Fault:
            u -= getattr(self, fault.value)
            if u < 0:
                return fault
        return None

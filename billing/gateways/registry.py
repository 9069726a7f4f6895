"""Adapters are found by name through the ``billing.gateways`` entry-point group, so another package
adds a gateway by declaring, in its own pyproject.toml::

    [project.entry-points."billing.gateways"]
    mybank = "mybank_adapter:from_settings"   # a callable(**options) -> Gateway
"""

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from billing.gateways.base import Gateway, GatewayError

GROUP = "billing.gateways"


class UnknownGateway(GatewayError, LookupError):
    pass


def _entry_points() -> dict[str, list[EntryPoint]]:
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, []).append(ep)
    return found


def known_gateways() -> list[str]:
    return sorted(_entry_points())


def load_gateway(name: str, **options: Any) -> Gateway:
    """The adapter registered as ``name``, built by its factory with ``options``."""
    found = _entry_points()
    candidates = {ep.value for ep in found.get(name, [])}
    if not candidates:
        known = ", ".join(sorted(found)) or "none"
        raise UnknownGateway(f"unknown payment gateway {name!r}; known gateways: {known}")
    if len(candidates) > 1:
        raise UnknownGateway(f"payment gateway {name!r} is registered more than once: {', '.join(sorted(candidates))}")
    gateway = found[name][0].load()(**options)
    if not isinstance(gateway, Gateway):
        raise TypeError(f"the factory of payment gateway {name!r} returned {type(gateway).__name__}, not a Gateway")
    return gateway

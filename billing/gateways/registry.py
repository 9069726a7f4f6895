"""Adapters are found by name through the ``billing.gateways`` entry-point group, so another package
adds a gateway by declaring, in its own pyproject.toml::

    [project.entry-points."billing.gateways"]
    mybank = "mybank_adapter:from_settings"   # a callable(**options) -> Gateway
"""

from typing import Any

from billing import plugins
from billing.gateways.base import Gateway, GatewayError

GROUP = "billing.gateways"


class UnknownGateway(GatewayError, LookupError):
    pass


def known_gateways() -> list[str]:
    return plugins.names(GROUP)


def load_gateway(name: str, **options: Any) -> Gateway:
    """The adapter registered as ``name``, built by its factory with ``options``."""
    gateway: Gateway = plugins.load(GROUP, name, "payment gateway", Gateway, UnknownGateway, **options)
    return gateway

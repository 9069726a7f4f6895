"""Adapters are found by name through the ``billing.gateways`` entry-point group, so another package
adds a gateway by declaring, in its own pyproject.toml::

    [project.entry-points."billing.gateways"]
    mybank = "mybank_adapter:from_settings"   # a callable(**options) -> Gateway
"""

import threading
from typing import Any

from billing import plugins
from billing.gateways.base import Gateway, GatewayError

GROUP = "billing.gateways"
_building = threading.Lock()


class UnknownGateway(GatewayError, LookupError):
    pass


def known_gateways() -> list[str]:
    return plugins.names(GROUP)


def load_gateway(name: str, **options: Any) -> Gateway:
    """The adapter registered as ``name``, built by its factory with ``options``."""
    gateway: Gateway = plugins.load(GROUP, name, "payment gateway", Gateway, UnknownGateway, **options)
    return gateway


def app_gateway(name: str) -> Gateway:
    """The running app's adapter ``name``, built once per process (adapters keep connection pools). Its
    "today" is the app's: the sandbox clock's day in a sandbox (a worker paying now on the simulated
    day is charged on that day), the real date otherwise."""
    from flask import current_app

    from billing.settings import current
    from billing.simulation.clock import effective_today

    settings, engine = current(), current_app.extensions["billing.engine"]
    cache: dict[str, Gateway] = current_app.extensions.setdefault("billing.gateways", {})
    with _building:
        if name not in cache:
            cache[name] = load_gateway(name, clock=lambda: effective_today(settings, engine))
    return cache[name]

"""The app's routes, read once at collection time, and placeholder URLs for them: the cross-cutting
tests (roles, problems) cover endpoints other packages add without being told about them."""

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from billing import API_PREFIX, create_app
from billing.auth.guard import PUBLIC_ATTR
from billing.settings import Settings

SKIPPED_METHODS = {"HEAD", "OPTIONS"}  # Flask answers these itself from the GET view / the URL map
BODY_METHODS = {"POST", "PUT", "PATCH"}
# Path parameters by name; anything else gets 1 (an int converter) or "1".
PATH_VALUES: dict[str, Any] = {"code": "19.71", "region_code": "19.71", "period": "2026-05"}


def _url_map_app() -> Flask:
    # Only to read the URL map; nothing connects to this database.
    app = create_app(Settings(database_url="sqlite://", log_level="WARNING"))
    app.extensions["billing.engine"].dispose()
    return app


APP = _url_map_app()
ALL_RULES: list[Rule] = sorted(APP.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
API_RULES: list[Rule] = [r for r in ALL_RULES if r.rule.startswith(API_PREFIX + "/")]


def api_cases(include_public: bool = True) -> Iterator[Any]:
    """One ``pytest.param(endpoint, method)`` per API endpoint and method; public endpoints (a
    webhook, authenticated by its signature) only when asked for."""
    for rule in API_RULES:
        if not include_public and getattr(APP.view_functions[rule.endpoint], PUBLIC_ATTR, False):
            continue
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            yield pytest.param(rule.endpoint, method, id=f"{method} {rule.rule}")


def int_arguments(rule: Rule) -> list[str]:
    return [name for name in sorted(rule.arguments) if isinstance(rule._converters[name], IntegerConverter)]


def url_for_rule(app: Flask, endpoint: str, method: str, **overrides: Any) -> str:
    rule = next(r for r in app.url_map.iter_rules(endpoint) if method in (r.methods or ()))
    ints = set(int_arguments(rule))
    values = {name: PATH_VALUES.get(name, 1 if name in ints else "1") for name in rule.arguments}
    return app.url_map.bind("localhost").build(endpoint, {**values, **overrides}, method=method)

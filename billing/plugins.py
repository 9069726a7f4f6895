"""Plug-ins found by name in an entry-point group, so another package adds one (a payment gateway,
a notice sender) by declaring it in its own pyproject.toml, without editing ours."""

import sys
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any


def _by_name(group: str) -> dict[str, list[EntryPoint]]:
    return _scan(group, tuple(sys.path))


# Reading every installed package's metadata costs milliseconds, and mandates' validation, the notice
# job and the gateway's loading asked for it each time (a seventh of a simulation's time). What is
# installed is read once per search path: a package put on the path later is still found.
@lru_cache(maxsize=16)
def _scan(group: str, _path: tuple[str, ...]) -> dict[str, list[EntryPoint]]:
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=group):
        found.setdefault(ep.name, []).append(ep)
    return found


def names(group: str) -> list[str]:
    return sorted(_by_name(group))


def load(group: str, name: str, kind: str, expected: type, error: type[Exception], **options: Any) -> Any:
    """Build the plug-in registered as ``name`` with its factory and ``options``. ``error`` is raised
    for an unknown or ambiguous name; ``kind`` names the plug-in in messages ("payment gateway")."""
    found = _by_name(group)
    candidates = {ep.value for ep in found.get(name, [])}
    if not candidates:
        known = ", ".join(sorted(found)) or "none"
        raise error(f"unknown {kind} {name!r}; known {kind.split()[-1]}s: {known}")
    if len(candidates) > 1:
        raise error(f"{kind} {name!r} is registered more than once: {', '.join(sorted(candidates))}")
    built = found[name][0].load()(**options)
    if not isinstance(built, expected):
        raise TypeError(f"the factory of {kind} {name!r} returned {type(built).__name__}, not a {expected.__name__}")
    return built

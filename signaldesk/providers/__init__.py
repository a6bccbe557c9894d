"""Provider registry: name → Provider class.

Every public module of this package that defines a `Provider` subclass is a provider; the registry
is built lazily so that `signaldesk --help` imports no provider (and no heavy library such as ccxt).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from signaldesk.providers.base import Provider

_NOT_PROVIDERS = frozenset({"base"})


@cache
def registry() -> dict[str, type[Provider]]:
    """All known providers by name, in a stable order."""
    from signaldesk.providers.base import Provider

    found: dict[str, type[Provider]] = {}
    names = sorted(
        m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in _NOT_PROVIDERS
    )
    for module_name in names:
        module = importlib.import_module(f"signaldesk.providers.{module_name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Provider)
                and obj is not Provider
                and obj.__module__ == module.__name__
            ):
                found[obj.name] = obj
    return dict(sorted(found.items()))

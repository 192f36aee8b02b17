"""Modules imported when first used, not when mailer starts.

``mailer send`` imports the modules of every step it may take; some are needed only now
and then (langcodes, for lists and advisories in other languages; ``requests``, which
premailer imports for style sheets on the web that mailer never lets it fetch). Each costs
start-up time and memory on every run (``requests`` alone about 0.1 s of CPU and 6 MiB),
so it is loaded on its first use instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, loaded when one of its attributes is first read (at once when
    it is already loaded), by the standard library's
    :class:`importlib.util.LazyLoader`. Only for a module the caller reads through this
    reference: an ``import name`` statement elsewhere loads it (the import system reads
    its ``__spec__``).

    Raises:
        ModuleNotFoundError: when no module ``name`` is installed (found now, not at
            first use).
    """
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


class _OnFirstUse(ModuleType):
    """Stands for module ``__name__`` in another module's globals: the real module is
    imported when an attribute is first read (through :meth:`__getattr__`, which Python
    calls only for attributes this object lacks)."""

    def __getattr__(self, attr: str) -> object:
        return getattr(importlib.import_module(self.__name__), attr)


def import_without(names: tuple[str, ...], load: Callable[[], T]) -> T:
    """``load()`` (an import), with each module in ``names`` that is not loaded yet
    replaced, for that import only, by a stand-in that imports the real module when first
    used. The stand-ins stay only in the globals of the modules ``load`` imports; any later
    ``import NAME`` elsewhere gets the real module."""
    stand_ins = {name: _OnFirstUse(name) for name in names if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        return load()
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]

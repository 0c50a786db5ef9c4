"""Which of youcheng's modules run compiled, and the switch back to their Python sources.

An install compiles the build's per-row modules with mypyc where it can (setup.py).
``YOUCHENG_PURE_PYTHON=1`` makes this process import every youcheng module from its
``.py`` file instead: for debugging and profiling with Python's own tools, and for the
tests that check both ways build the same registry.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType

_PACKAGE = "youcheng"


class SourceFirstFinder(importlib.abc.MetaPathFinder):
    """Finds youcheng's submodules as ``.py`` files even where a compiled module sits beside them."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PACKAGE + ".") or not path:
            return None
        name = fullname.rpartition(".")[2]
        for entry in path:
            package = os.path.join(entry, name, "__init__.py")
            if os.path.isfile(package):
                return importlib.util.spec_from_file_location(
                    fullname, package, submodule_search_locations=[os.path.join(entry, name)])
            module = os.path.join(entry, name + ".py")
            if os.path.isfile(module):
                return importlib.util.spec_from_file_location(fullname, module)
        return None


def use_sources() -> None:
    """Import youcheng's modules from their sources from now on (before they are imported)."""
    if not any(isinstance(finder, SourceFirstFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, SourceFirstFinder())


def compiled_modules() -> list[str]:
    """The youcheng modules this process has imported as compiled extension modules."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return sorted(name for name, module in list(sys.modules.items())
                  if name.startswith(_PACKAGE + ".")
                  and (getattr(module, "__file__", None) or "").endswith(suffixes))

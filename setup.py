"""Compile the modules a build spends its time in with mypyc, when this machine can.

Everything else about the package is in pyproject.toml. The modules in COMPILED are
ordinary, type-checked Python; mypyc (part of mypy) turns them into C extension
modules: the parser runs about twice as fast, a million-row build about 15% faster
(benchmarks/README.md).
Where they cannot be compiled (no C compiler, no Python headers, or
YOUCHENG_PURE_PYTHON=1 at install time) the package installs as plain Python and
works the same, only slower. YOUCHENG_PURE_PYTHON=1 at run time makes an installed
youcheng import the Python sources instead of the compiled modules (youcheng/__init__.py).
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

# The parser, the resolver and the build pipeline: the per-row work of a build.
COMPILED = [
    "youcheng/_memo.py",
    "youcheng/dates.py",
    "youcheng/sources/_markup.py",
    "youcheng/sources/_reader.py",
    "youcheng/sources/wikimd.py",
    "youcheng/resolve/names.py",
    "youcheng/resolve/fold.py",
    "youcheng/resolve/countries.py",
    "youcheng/resolve/gazetteer.py",
    "youcheng/resolve/china.py",
    "youcheng/resolve/records.py",
    "youcheng/pipeline.py",
]


def compiled_modules() -> list[object]:
    """mypyc's extension modules for COMPILED, or none (pure Python) if that fails."""
    if os.environ.get("YOUCHENG_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("youcheng: mypyc is not available; installing pure Python", file=sys.stderr)
        return []
    try:
        extensions = mypycify(COMPILED, opt_level="3", debug_level="0", group_name="youcheng")
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure falls back to Python
        print(f"youcheng: mypyc could not compile ({exc}); installing pure Python", file=sys.stderr)
        return []
    for extension in extensions:
        extension.optional = True  # a C compiler error skips it: the .py module is used
    return extensions


setup(ext_modules=compiled_modules())

"""The ``youcheng`` command: answers query commands without loading Typer first.

Typer (with Click, pydantic and Rich's help formatting behind it) takes several
times longer to import than a query on the registry takes to answer. ``main``
reads the plain shapes of ``partners``, ``search`` and ``stats`` itself and
calls the same library functions, printing exactly what ``youcheng.cli`` prints
(tests/test_main.py runs both and compares). Every other command line (builds,
exports, ``--help``, a typo, an unusual option spelling) goes to the Typer app,
so usage errors and help text stay Typer's.

Also runs as ``python -m youcheng``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

# command -> (options with their allowed values (None: any), number of arguments)
_FORMATS = ("table", "tsv", "json")
_COMMANDS: dict[str, tuple[dict[str, tuple[str, ...] | None], int]] = {
    "partners": ({"--format": _FORMATS, "-f": _FORMATS, "--db": None}, 1),
    "search": ({"--limit": None, "--format": _FORMATS, "-f": _FORMATS, "--db": None}, 1),
    "stats": ({"--by": ("country", "year", "province", "level"), "--db": None}, 0),
}
_CANONICAL = {"-f": "--format"}


def main(argv: list[str] | None = None) -> None:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and exit."""
    args = sys.argv[1:] if argv is None else argv
    parsed = _parse(args)
    if parsed is None:
        if args[:1] == ["build"]:
            _one_shot_build()
        from youcheng.cli import app

        app(args=args, prog_name="youcheng")
        return
    command, values, options = parsed
    sys.exit(_run(command, values, options))


def _one_shot_build() -> None:
    """A process that ends with its build: the pipeline's collector policy for that case."""
    from youcheng.pipeline import collector_off_until_exit

    collector_off_until_exit()


def _parse(args: list[str]) -> tuple[str, list[str], dict[str, str]] | None:
    """(command, arguments, options) for a plain query command line, else None."""
    if not args or args[0] not in _COMMANDS:
        return None
    allowed, arity = _COMMANDS[args[0]]
    values: list[str] = []
    options: dict[str, str] = {}
    rest = iter(args[1:])
    for token in rest:
        if token.startswith("-"):
            name, eq, value = token.partition("=")
            if name not in allowed or (eq and not name.startswith("--")):
                return None
            if not eq:
                value = next(rest, "")
            key = _CANONICAL.get(name, name)
            choices = allowed[name]
            if key in options or not value or value.startswith("-") or (
                    choices is not None and value not in choices):
                return None
            options[key] = value
        else:
            values.append(token)
    if len(values) != arity:
        return None
    limit = options.get("--limit")
    if limit is not None and not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 1000):
        return None
    return args[0], values, options


def _run(command: str, values: list[str], options: dict[str, str]) -> int:
    from youcheng.errors import SourceError, UsageError, YouchengError

    try:
        return _answer(command, values, options)
    except (SourceError, UsageError) as exc:
        _fail(exc, 2)
    except YouchengError as exc:
        _fail(exc, 1)


def _fail(exc: Exception, code: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.write(f"Error: {exc}\n")
    sys.exit(code)


def _answer(command: str, values: list[str], options: dict[str, str]) -> int:
    from youcheng.registry import Registry

    db = Path(options["--db"]) if "--db" in options else None
    out = sys.stdout
    if command == "partners":
        with Registry.open(db) as reg:
            found = reg.relationships_of(values[0])
        from youcheng._render import print_partners

        print_partners(values[0], found, options.get("--format"))
        return 0
    if command == "search":
        from youcheng._render import print_search

        with Registry.open(db) as reg:
            answer = reg.search_answer(values[0], int(options.get("--limit", "20")))
        return print_search(answer, options.get("--format"))
    with Registry.open(db) as reg:
        rows = reg.stats(options.get("--by", "country"))
    for row in rows:
        key = row.key if row.key is not None else "(unknown)"
        label = f" {row.label}" if row.label and row.label != row.key else ""
        out.write(f"{key}{label}\t{row.count}\n")
    return 0


if __name__ == "__main__":
    main()

"""The ``youcheng`` command (the console script, also ``python -m youcheng``): the Typer app.

One parser for every command line: ``youcheng.cli``. Its start-up is kept short by what
``cli.py`` does not import until a command needs it (the API server, the exports, the
resolver, Rich's tables), not by answering some commands here.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and exit with its code."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["build"]:
        _one_shot_build()
    from youcheng.cli import app

    app(args=args, prog_name="youcheng")


def _one_shot_build() -> None:
    """This process ends with its build: the pipeline's collector policy for that case.

    Decided here, where the process is known to be the command's own, rather than in
    ``cli.build``, which also runs inside other processes (tests, ``CliRunner``) whose
    collector must stay on. ``build`` takes no option before its name (the app's only
    one is ``--version``), so the first word says whether a build is starting.
    """
    from youcheng.pipeline import collector_off_until_exit

    collector_off_until_exit()


if __name__ == "__main__":
    main()

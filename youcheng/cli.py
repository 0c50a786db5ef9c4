"""Command line: parse arguments, call the library, print. No logic lives here.

Exit codes: 0 success; 1 a data problem (no such place, missing registry);
2 a usage problem (bad option, a file that is not a readable page).

Every command line goes through this one parser (``youcheng`` and ``python -m youcheng``
run ``app``), so importing this module must stay cheap: at module level only Typer and
the closed word lists its options are declared with. Everything heavier (the API server,
httpx, the exports, the renderer, the resolver, Rich's progress bar and tables) is
imported inside the command that needs it; tests/test_main.py checks what a query loads.

No ``from __future__ import annotations`` here: Typer reads every command's parameters
when it builds the app, on every run, and string annotations would be evaluated there,
twice a parameter (``inspect.signature`` and ``get_type_hints``), about 8 ms a command line.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from youcheng import __version__
from youcheng.errors import SourceError, UsageError, YouchengError
from youcheng.vocabulary import (ExportFormat, Level, OutputFormat, RenderFormat, StatDimension, Status, Tier,
                                 TierFilter, anomaly_description, or_list)

if TYPE_CHECKING:
    from youcheng.build import BuildProgress
    from youcheng.query import Filters

app = typer.Typer(
    name="youcheng",
    help="友城 youcheng: the PRC's sister-city relationships as a queryable registry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    Optional[Path],
    typer.Option("--db", help="Registry file (default: $YOUCHENG_DB or the user data directory).",
                 show_default=False),
]


# The filters of partners, the API and the web page (query.Filters), one option each.
PlaceOption = Annotated[Optional[str], typer.Option(
    "--place", help="A place on either side, any script (洛阳市, 洛陽市, Luoyang) or its id.", show_default=False)]
CountryOption = Annotated[Optional[str], typer.Option(
    "--country", help="The partner's country, ISO 3166-1 alpha-2 (JP, us).", show_default=False)]
ProvinceOption = Annotated[Optional[str], typer.Option(
    "--province", help="The Chinese side's province (河南 or 河南省).", show_default=False)]
# A string, not the enum: validate.check_filters names the nearest level of a misspelt one.
LevelOption = Annotated[Optional[str], typer.Option(
    "--level", help=f"The Chinese side's level: {or_list(Level)}.", show_default=False)]
YearFromOption = Annotated[Optional[int], typer.Option(
    "--year-from", help="Signed in or after this year.", show_default=False)]
YearToOption = Annotated[Optional[int], typer.Option(
    "--year-to", help="Signed in or before this year.", show_default=False)]
TextOption = Annotated[Optional[str], typer.Option(
    "-q", "--text", help="Relationships of the places whose names contain this text.", show_default=False)]


StatusOption = Annotated[Optional[Status], typer.Option(
    "--status", help="Only relationships of this status: active (where no source says otherwise), suspended "
                     "or ended (data/relationship_status.csv, rows a page strikes through).", show_default=False)]


def _filters(place: str | None, country: str | None, province: str | None, level: str | None,
             year_from: int | None, year_to: int | None, text: str | None, tier: str | None,
             status: Status | None = None) -> "Filters":
    """The options as ``query.Filters``, as the API reads its query parameters."""
    from youcheng.query import Filters

    return Filters(place=place or None, country=country or None, province=province or None, level=level or None,
                   year_from=year_from, year_to=year_to, q=(text or "").strip() or None, tier=tier,
                   status=status.value if status else None)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"youcheng {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """友城 youcheng: the PRC's sister-city relationships as a queryable registry."""


@contextmanager
def _errors() -> Iterator[None]:
    """Turn library errors into one line on stderr and the documented exit code."""
    try:
        yield
    except (SourceError, UsageError) as exc:
        typer.echo(f"Error: {_message(exc)}", err=True)
        raise typer.Exit(2) from None
    except YouchengError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None


def _message(exc: YouchengError) -> str:
    """What a usage error says; a bad filter named as the option it came from (--year-from, not
    year_from). ``validate`` is imported only once there is an error to word."""
    from youcheng.validate import BadParameter

    if not isinstance(exc, BadParameter):
        return str(exc)
    option = "--text" if exc.parameter == "q" else "--" + exc.parameter.replace("_", "-")
    return f"{option}{str(exc).removeprefix(exc.parameter)}"


def _open(db: Path | None):  # type: ignore[no-untyped-def]
    from youcheng.registry import Registry

    return Registry.open(db)


@app.command()
def build(
    pages: Annotated[Optional[list[Path]], typer.Argument(
        help="Files or folders to read (default: every embedded source: the seed list page, the "
             "city sections and the en-wiki CSV; see 'youcheng sources'). A folder is read file "
             "by file, in name order.", show_default=False)] = None,
    format: Annotated[Optional[str], typer.Option(
        "--format", show_default=False,
        help="Read every file as this source format instead of recognising each by its content: "
             "wikimd (the national list page in Markdown), wikimd-city (a city page's section in "
             "Markdown), wikitext (raw MediaWiki text), enwiki-csv (city1,country1,city2,country2).")] = None,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="Build even if a file gives nothing or no relationship is found "
                              "(otherwise the old registry is kept and the build exits 2).")] = False,
    db: DbOption = None,
) -> None:
    """Build the registry from source files, replacing the old one atomically."""
    from youcheng.registry import Registry

    with _errors():
        files = _expand(pages or [])
        with _progress(files) as progress:
            report = Registry.build(files or None, db, progress, fmt=format, allow_empty=allow_empty)
    anomalies = sum(report.anomalies.values())
    typer.echo(f"built {report.db}: {report.partnerships} partnerships, {report.places} places "
               f"from {len(report.sources)} source(s); {anomalies} anomalies (see 'youcheng check')")


def _expand(pages: list[Path]) -> list[Path]:
    """Files as given; a folder as its files in name order (hidden files and SOURCES.md aside)."""
    files: list[Path] = []
    for page in pages:
        if page.is_dir():
            inside = sorted(p for p in page.iterdir() if p.is_file() and not p.name.startswith(".")
                            and p.name != "SOURCES.md")
            if not inside:
                raise SourceError(f"{page} is a folder with no file to read")
            files += inside
        else:
            files.append(page)
    return files


@app.command()
def fetch(
    titles: Annotated[list[str], typer.Argument(
        help="zh-Wikipedia page titles, e.g. 南京市 苏州市 大连市友好城市.", show_default=False)],
    into: Annotated[Path, typer.Option(
        "--into", help="Folder to write <title>.wikitext files into (created if missing).")] = Path("pages"),
    variant: Annotated[Optional[str], typer.Option(
        help="Script variant the API converts the text to (zh-cn, zh-tw…); default: as stored.")] = None,
    api_url: Annotated[str, typer.Option(help="The wiki's api.php.")] = "https://zh.wikipedia.org/w/api.php",
) -> None:
    """Download pages' sister-city sections from zh-Wikipedia (needs internet), for 'youcheng build FOLDER'.

    Each file keeps the page's revision id and timestamp in its first line.
    """
    from youcheng.fetch import fetch_pages

    with _errors():
        report = fetch_pages(titles, into, variant=variant, api_url=api_url)
    for path in report.written:
        typer.echo(f"wrote {path}")
    for title in report.without_section:
        typer.echo(f"{title}: the page has no sister-city section; nothing written", err=True)
    for title in report.missing:
        typer.echo(f"{title}: no such page", err=True)
    for asked, target in report.redirects:
        typer.echo(f"{asked}: redirected to {target}", err=True)
    for title, reason in report.invalid:
        typer.echo(f"{title}: {reason}", err=True)
    if not report.written:
        raise typer.Exit(1)
    typer.echo(f"now: youcheng build {into}", err=True)


@app.command()
def sources(db: DbOption = None,
            format: Annotated[OutputFormat | None, typer.Option(
                "--format", "-f", show_default=False, help="table (default) , tsv or json.")] = None,
            ) -> None:
    """What the registry was built from: each source's format, rows read and skipped, date, licence."""
    from youcheng._render import print_sources

    with _errors(), _open(db) as reg:
        rows = reg.sources()
    print_sources(rows, format.value if format else None)


_LONG_INPUT_BYTES = 4 * 1024 * 1024


@contextmanager
def _progress(pages: list[Path]) -> "Iterator[BuildProgress | None]":
    total = sum(p.stat().st_size for p in pages if p.is_file())
    if total < _LONG_INPUT_BYTES:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), transient=True) as bar:
        tasks: dict[str, object] = {}

        def update(name: str, done: int, size: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=size)
            bar.update(tasks[name], completed=done)  # type: ignore[arg-type]

        yield update


@app.command()
def partners(
    name: Annotated[str, typer.Argument(help="A place name in any script, e.g. 洛陽市 or 洛阳市.")],
    format: Annotated[OutputFormat | None, typer.Option(
        "--format", "-f", show_default=False,
        help="Output format: table (default on a terminal), tsv (default when piped: a header line,"
             " then one tab-separated line per relationship) or json.")] = None,
    sources: Annotated[bool, typer.Option(
        "--sources", help="Under each relationship, each source that attests it (source:line, as written).")]
        = False,
    db: DbOption = None,
) -> None:
    """List a place's partners, one line per relationship with its tier, status, date and number of sources."""
    with _errors():
        with _open(db) as reg:
            found = reg.relationships_of(name)
    from youcheng._render import print_partners

    print_partners(name, found, format.value if format else None, sources)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Part of a name, any script; two characters are enough.")],
    limit: Annotated[int, typer.Option(help="Most results to show.", min=1, max=1000)] = 20,
    format: Annotated[OutputFormat | None, typer.Option(
        "--format", "-f", show_default=False,
        help="Output format: json (/api/search's body), tsv (a header line and every column) or table; "
             "default: one plain line per place.")] = None,
    db: DbOption = None,
) -> None:
    """Find places whose names contain TEXT, forgiving case, accents, width and script (Koln = Köln,
    Cologne, 科隆); with no match, the nearest names and what the registry covers (exit 1)."""
    from youcheng._render import print_search

    with _errors():
        with _open(db) as reg:
            answer = reg.search_answer(text, limit)
    code = print_search(answer, format.value if format else None)
    if code:
        raise typer.Exit(code)


@app.command()
def stats(
    by: Annotated[StatDimension, typer.Option("--by", help="Group relationships by this.")] = StatDimension.country,
    tier: Annotated[Optional[TierFilter], typer.Option(
        "--tier", help="Count this kind of relationship: sister (友好城市, the default), exchange "
                       "(友好交流城市), intent (意向书), domestic, or all.")] = None,
    place: PlaceOption = None, country: CountryOption = None, province: ProvinceOption = None,
    level: LevelOption = None, year_from: YearFromOption = None, year_to: YearToOption = None,
    text: TextOption = None, status: StatusOption = None,
    db: DbOption = None,
) -> None:
    """Count sister-city relationships (or another --tier) by country, year, province or level,
    under the same filters as the API (--place, --country, --province, --level, --year-from/-to, -q,
    --status)."""
    with _errors():
        with _open(db) as reg:
            rows = reg.stats(by.value, tier.value if tier else Tier.sister.value,
                             _filters(place, country, province, level, year_from, year_to, text, None, status))
    for row in rows:
        key = row.key if row.key is not None else "(unknown)"
        label = f" {row.label}" if row.label and row.label != row.key else ""
        typer.echo(f"{key}{label}\t{row.count}")


@app.command()
def export(
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="File format.")] =
        ExportFormat.jsonl,
    output: Annotated[Optional[Path], typer.Option("--output", "-o",
                                                   help="File to write (default: standard output).")] = None,
    bom: Annotated[bool, typer.Option("--bom", help="Start CSV with a UTF-8 BOM (for Excel).")] = False,
    tier: Annotated[Optional[TierFilter], typer.Option(
        "--tier", help="Only this kind of relationship (default: every tier).", show_default=False)] = None,
    place: PlaceOption = None, country: CountryOption = None, province: ProvinceOption = None,
    level: LevelOption = None, year_from: YearFromOption = None, year_to: YearToOption = None,
    text: TextOption = None, status: StatusOption = None,
    relationships: Annotated[bool, typer.Option(
        "--relationships", help="One line (jsonl), row (csv) or feature (geojson) per relationship, with its "
                                "attestations, instead of one per record.")] = False,
    db: DbOption = None,
) -> None:
    """Write every record (one source's statement, with its relationship_id), or with --relationships every
    relationship, as JSON Lines, CSV, GeoJSON, GraphML or a zipped Data Package (both tables); the filters
    are the API's."""
    filters = _filters(place, country, province, level, year_from, year_to, text, tier.value if tier else None,
                       status)
    if format is ExportFormat.datapackage:
        _export_datapackage(output, db, filters)
        return
    what = "relationships" if relationships else "records"
    with _errors():
        if relationships and format is ExportFormat.graphml:
            raise UsageError("--relationships writes jsonl, csv or geojson (graphml's edges are records)")
        with _open(db) as reg:
            reg.count(filters)  # a filter that cannot match fails here, before the first byte
            if output is None:
                sys.stdout.reconfigure(encoding="utf-8", newline="")  # type: ignore[union-attr]
                reg.export(sys.stdout, format.value, bom=bom, filters=filters, relationships=relationships)
                return
            tmp = output.with_name(f".{output.name}.partial")
            with tmp.open("w", encoding="utf-8", newline="") as out:
                count = reg.export(out, format.value, bom=bom, filters=filters, relationships=relationships)
            tmp.replace(output)
    typer.echo(f"wrote {count} {what} to {output.resolve()}", err=True)


def _export_datapackage(output: Path | None, db: Path | None, filters: "Filters") -> None:
    """The data package is a zip (datapackage.json + CSV), so it is written as bytes, never
    to a terminal."""
    if output is None and sys.stdout.isatty():
        typer.echo("Error: --format datapackage writes a zip file: give it a name with -o youcheng.zip "
                   "(or redirect standard output to a file)", err=True)
        raise typer.Exit(2)
    with _errors():
        with _open(db) as reg:
            reg.count(filters)  # a filter that cannot match fails here, before the first byte
            if output is None:
                count = reg.write_datapackage(sys.stdout.buffer, filters)
                return
            tmp = output.with_name(f".{output.name}.partial")
            with tmp.open("wb") as out:
                count = reg.write_datapackage(out, filters)
            tmp.replace(output)
    typer.echo(f"wrote {count} records to {output.resolve()}", err=True)


@app.command()
def render(
    province: Annotated[str, typer.Option("--province", help="The province whose places to list, e.g. 湖北.")],
    format: Annotated[RenderFormat, typer.Option("--format", "-f", help="wikitext (MediaWiki) or markdown.")] =
        RenderFormat.wikitext,
    tier: Annotated[TierFilter, typer.Option(help="Which relationships: sister (the list page's) or another tier, "
                                                  "or all.")] = TierFilter.sister,
    db: DbOption = None,
) -> None:
    """Write a province's relationships as a table in the list page's layout, with a <ref> per source."""
    from youcheng.render import render as render_table

    with _errors():
        with _open(db) as reg:
            text = render_table(reg.conn, province, format.value, tier.value)
    sys.stdout.write(text)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The older registry file.")],
    new: Annotated[Path, typer.Argument(help="The newer registry file.")],
) -> None:
    """List the relationships added (+), removed (-) and changed (~) from one build to another."""
    from youcheng.diff import diff as compare
    from youcheng.database import connect_readonly

    with _errors():
        before, after = connect_readonly(old), connect_readonly(new)
        try:
            found = compare(before, after)
        finally:
            before.close()
            after.close()
    for line in found.lines():
        typer.echo(line)
    typer.echo(f"{len(found.added)} added, {len(found.removed)} removed, {len(found.changed)} changed", err=True)


@app.command()
def check(db: DbOption = None) -> None:
    """Report what the build could not read (or only partly), and where sources disagree, with source and line;
    then how the rows resolved and what each kind of anomaly listed means."""
    kinds: set[str] = set()
    with _errors():
        with _open(db) as reg:
            summary = reg.summary()
            conflicted = reg.conflicts()
            typer.echo(f"{summary['partnerships']} partnerships, {summary['places']} places, "
                       f"{summary['countries']} countries, {summary['anomalies']} anomalies")
            typer.echo(f"{summary['relationships']} relationships, {len(conflicted)} whose sources disagree")
            # Streamed from the registry, a thousand lines a write: the first prints at once,
            # whatever the count (two million in half a minute).
            lines: list[str] = []
            for a in reg.each_anomaly():
                kinds.add(a.kind)
                lines.append(f"{a.source}:{a.line}\t{a.severity}\t{a.kind}\t{a.message}")
                if len(lines) >= 1000:
                    typer.echo("\n".join(lines))
                    lines.clear()
            if lines:
                typer.echo("\n".join(lines))
            # Counted over every attestation (seconds at a million): after the anomalies.
            resolution = reg.resolution()
    from youcheng._render import conflict_lines

    for text in conflict_lines(conflicted):
        typer.echo(text)
    for side, counts in resolution.items():
        typer.echo(f"resolution {side}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    # What each kind above means, once per kind, after the lines that scripts parse.
    meanings = {k: m for k in sorted(kinds) if (m := anomaly_description(k))}
    if meanings:
        typer.echo("what the kinds mean:")
    for kind, meaning in meanings.items():
        typer.echo(f"  {kind}: {meaning}")


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] =
        "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
    get: Annotated[Optional[str], typer.Option(
        "--get", metavar="PATH", help="Send one GET request to PATH in-process, print the body, exit "
        "0 if it succeeded, 1 if not; starts no server.")] = None,
    workers: Annotated[int, typer.Option(
        help="Server processes sharing the port, each with its own response cache; about one per "
             "core for throughput.", min=1, max=64)] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request to standard error.")] = True,
) -> None:
    """Serve the web page at / and the REST API at /api (documented at /openapi.json)."""
    import os

    from youcheng import api

    with _errors():
        application = api.create_app(db)
    if get is not None:
        status, body = api.get(application, get)
        sys.stdout.buffer.write(body + (b"" if body.endswith(b"\n") else b"\n"))
        sys.stdout.flush()
        raise typer.Exit(0 if status < 400 else 1)
    import uvicorn

    path = application.state.database.path
    typer.echo(f"youcheng: serving {path} at http://{host}:{port}/"
               + (f" with {workers} processes" if workers > 1 else ""), err=True)
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level="info", access_log=access_log)
        return
    # Worker processes import the app themselves: the factory opens the registry named here.
    os.environ["YOUCHENG_DB"] = str(Path(path).resolve())
    uvicorn.run("youcheng.api:create_app", factory=True, workers=workers, host=host, port=port,
                log_level="info", access_log=access_log)


if __name__ == "__main__":
    app()

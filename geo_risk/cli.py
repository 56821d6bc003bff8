"""The ``geo-risk`` command line. Commands call the same services as the API."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from geo_risk.errors import GeoRiskError, ValidationFailed
from geo_risk.settings import PROJECT_ROOT, get_settings

app = typer.Typer(help="geo_risk: major-hazard-source (重大危险源) risk map service.", no_args_is_help=True)
db_app = typer.Typer(help="The PostGIS store: start, stop, migrate.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)

SAMPLE_CITY = PROJECT_ROOT / "sample_geo" / "jilin_city.gpkg"


def _fail(exc: Exception) -> None:
    console.print(
        f"[bold red]error:[/] {rich_escape(_operator_text(str(exc)))}", markup=True, highlight=False, soft_wrap=True
    )
    raise typer.Exit(code=2 if isinstance(exc, ValidationFailed) else 1)


@app.callback()
def _settings_first() -> None:
    # Before any command: a bad GEO_RISK_* setting is one line naming it (exit 2), not a traceback.
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from geo_risk.settings import settings_error_message

    try:
        get_settings()
    except (ValidationError, SettingsError) as exc:
        console.print(f"error: {settings_error_message(exc)}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def _operator_text(text: str) -> str:
    """A stored or engine text for the operator at the terminal, who holds the database itself: every
    tiered span (geo_risk.disclosure) with its figures."""
    from geo_risk.disclosure import disclose

    return disclose(text, "restricted")


def _url(start: bool = True) -> str:
    from geo_risk.store.db import resolve_url

    return resolve_url(get_settings(), start=start)


# -- db -------------------------------------------------------------------------------------------
@db_app.command("up")
def db_up() -> None:
    """Start the embedded PostGIS (unless GEO_RISK_DATABASE_URL is set) and migrate it."""
    from geo_risk.store.db import migrate, ping

    try:
        url = _url(start=True)
        migrate(url)
        info = ping(url)
    except GeoRiskError as exc:
        _fail(exc)
    console.print(f"database ready: PostGIS {info['postgis']}, schema {info['revision']}")
    print(url)


@db_app.command("down")
def db_down() -> None:
    """Stop the embedded PostGIS cluster (its data is kept)."""
    from geo_risk.store.db import embedded_cluster

    settings = get_settings()
    if settings.database_url:
        console.print("GEO_RISK_DATABASE_URL is set: that database is not ours to stop.")
        return
    try:
        stopped = embedded_cluster(settings).stop()
    except GeoRiskError as exc:
        _fail(exc)
    console.print("stopped" if stopped else "the embedded cluster was not running")


@db_app.command("url")
def db_url() -> None:
    """Print the database URL (the embedded cluster must be running)."""
    try:
        print(_url(start=False))
    except GeoRiskError as exc:
        _fail(exc)


@db_app.command("migrate")
def db_migrate(revision: str = "head") -> None:
    """Upgrade the schema (Alembic) to REVISION."""
    from geo_risk.store.db import migrate

    try:
        migrate(_url(), revision)
    except GeoRiskError as exc:
        _fail(exc)
    console.print(f"migrated to {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="target revision; 'base' drops everything")],
) -> None:
    """Downgrade the schema (Alembic) to REVISION."""
    from geo_risk.store.db import downgrade

    try:
        downgrade(_url(), revision)
    except GeoRiskError as exc:
        _fail(exc)
    console.print(f"downgraded to {revision}")


# -- load -----------------------------------------------------------------------------------------
def run_load(
    path: Path,
    url: str,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    dry_run: bool = False,
    show_progress: bool = True,
):
    """Load ``path`` into the store at ``url`` with a progress bar; return the LoadReport."""
    from geo_risk.io.load import load_path
    from geo_risk.store.db import get_engine

    raw = get_engine(url).raw_connection()
    try:
        with Progress(
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not show_progress,
            transient=False,
        ) as bar:
            tasks: dict[str, int] = {}

            def progress(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total or None)
                bar.update(tasks[name], completed=done)

            return load_path(
                path,
                raw.driver_connection,
                crs=crs,
                encoding=encoding,
                layer=layer,
                dry_run=dry_run,
                chunk_rows=get_settings().load_chunk_rows,
                progress=progress,
            )
    finally:
        raw.close()


@app.command()
def load(
    path: Annotated[
        Path, typer.Argument(help="GeoPackage, folder of layer files, or one GeoJSON/Shapefile/CSV")
    ],
    crs: Annotated[
        str | None, typer.Option(help="CRS of the coordinates: EPSG:4490, EPSG:4326, gcj02, bd09 …")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding of the file, e.g. gb18030")] = None,
    layer: Annotated[str | None, typer.Option(help="Interchange layer a single file holds")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; write nothing")] = False,
) -> None:
    """Validate and load interchange layers into the store (all or nothing; re-loads update)."""
    from geo_risk.store.db import migrate

    url = None
    try:
        url = _url()
        migrate(url)
        report = run_load(
            path,
            url,
            crs=crs,
            encoding=encoding,
            layer=layer,
            dry_run=dry_run,
            show_progress=sys.stderr.isatty(),
        )
        console.print(report.summary(), highlight=False, markup=False, soft_wrap=True)
        if not dry_run:
            _audit(url, "load", str(path), "ok", {"counts": report.counts})
            run_grading(url, report.changes)  # only the enterprises the load can have changed
    except GeoRiskError as exc:
        if not dry_run and url is not None:
            _audit(url, "load", str(path), "failed", {"error": str(exc)})
        _fail(exc)


def _audit(url: str, action: str, target: str | None, outcome: str, details: dict) -> None:
    """Record a write of the command line in the audit log (never fails the command itself)."""
    from geo_risk.store.audit import cli_actor, record

    try:
        record(url, actor=cli_actor(), role=None, channel="cli", action=action, target=target,
               outcome=outcome, details=details)
    except Exception as exc:  # noqa: BLE001 - the write happened; an unwritable log is reported, not fatal
        console.print(f"warning: could not write the audit log: {exc}")


def run_grading(url: str, changes=None) -> None:  # noqa: ANN001 - a LoadChanges (store.loader), imported lazily
    """Compute the GB 18218 results of the store (after a load, given its ``changes``: only what it changed)."""
    from geo_risk.grading import grade_store

    with console.status("grading hazard units (GB 18218) …"):
        report = grade_store(url, changes)
    _audit(url, "grade", None, "ok", {"summary": report.summary()})
    console.print(report.summary(), highlight=False, markup=False, soft_wrap=True)


@app.command()
def grade() -> None:
    """Identify and grade every hazard unit (GB 18218-2018) and store the results."""
    from geo_risk.store.db import migrate

    try:
        url = _url()
        migrate(url)
        run_grading(url)
    except GeoRiskError as exc:
        _fail(exc)


class _SectorSmoothing(StrEnum):
    """Values of ``geo-risk risk --sector-smoothing``."""

    exact = "exact"
    rays = "rays"


class _PopulationTreatment(StrEnum):
    """Values of ``geo-risk risk --population-treatment``."""

    purple_book = "purple_book"
    outdoor_everyone = "outdoor_everyone"


@app.command()
def risk(
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="One enterprise's id")] = None,
    park: Annotated[str | None, typer.Option("--park", help="Every QRA enterprise of one chemical park")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every enterprise of the store")] = False,
    cell_m: Annotated[float, typer.Option("--cell-m", help="Grid cell size, metres (> 0, ≤ 500)")] = 25.0,
    wind_rose: Annotated[
        Path | None,
        typer.Option("--wind-rose", help="City wind rose CSV: probability of each weather class with the wind "
                     "blowing FROM each sector (default GEO_RISK_WIND_ROSE_FILE; unset: uniform 16-sector rose)"),
    ] = None,
    sector_smoothing: Annotated[
        _SectorSmoothing | None,
        typer.Option("--sector-smoothing",
                     help="exact: each wind sector uniform over its width (Purple Book, default); rays: the old "
                     "spokes (default GEO_RISK_RISK_SECTOR_SMOOTHING)"),
    ] = None,
    population_treatment: Annotated[
        _PopulationTreatment | None,
        typer.Option("--population-treatment",
                     help="Societal risk: purple_book (day/night, indoors/outdoors; default) or outdoor_everyone "
                     "(conservative screening) (default GEO_RISK_RISK_POPULATION_TREATMENT)"),
    ] = None,
    day_fraction: Annotated[
        float | None,
        typer.Option("--day-fraction", min=0.0, max=1.0,
                     help="Share of the year in the day period, 0-1 (default GEO_RISK_RISK_DAY_FRACTION; unset: "
                     "0.4375, UNCONFIRMED)"),
    ] = None,
    flash_fire_indoor_factor: Annotated[
        float | None,
        typer.Option("--flash-fire-indoor-factor", min=0.0, max=1.0,
                     help="Indoor lethality inside a flash-fire envelope, 0-1 (default "
                     "GEO_RISK_RISK_FLASH_FIRE_INDOOR_FACTOR; unset: 1, UNCONFIRMED)"),
    ] = None,
) -> None:
    """External safety distances (GB/T 37243) and individual/societal risk (GB 36894) with a progress bar."""
    from geo_risk.risk.run import settings_line
    from geo_risk.risk_runs import risk_settings, run_risk
    from geo_risk.store.db import migrate

    try:
        settings = risk_settings(cell_m=cell_m, rose_file=wind_rose,
                                 sector_smoothing=sector_smoothing.value if sector_smoothing else None,
                                 population_treatment=population_treatment.value if population_treatment else None,
                                 day_fraction=day_fraction,
                                 flash_fire_indoor_factor=flash_fire_indoor_factor)
        url = _url()
        migrate(url)
        with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("QRA", total=None)

            def progress(what: str, done: int, total: int) -> None:
                bar.update(task, description=what, completed=done, total=total)

            report = run_risk(url, enterprise_id=enterprise, park_id=park, everything=everything,
                              settings=settings, progress=progress)
        _audit(url, "risk", enterprise or park or "all", "ok", {"summary": report.summary()})
    except GeoRiskError as exc:
        _fail(exc)
    console.print(report.summary(), highlight=False, markup=False, soft_wrap=True)
    for note in report.notes:
        console.print(f"  note: {_operator_text(note)}", highlight=False, markup=False, soft_wrap=True)
    for problem in report.problems[:20]:
        console.print(f"  problem: {_operator_text(problem)}", highlight=False, markup=False, soft_wrap=True)
    if len(report.problems) > 20:
        console.print(f"  … and {len(report.problems) - 20} more (every one is in the stored run's assumptions, "
                      "key 'problems')", highlight=False, markup=False, soft_wrap=True)
    described = settings.describe()
    weather = ", ".join(f"{k} {v:.3g}" for k, v in described["weather"].items())
    console.print(f"assumptions: {described['wind_rose']}; weather classes (Purple Book, UNCONFIRMED): {weather} — "
                  "screening-level QRA; see README", highlight=False, markup=False, soft_wrap=True)
    console.print(settings_line(described["run_settings"]), highlight=False, markup=False, soft_wrap=True)


@app.command()
def analyse(
    only: Annotated[list[str] | None, typer.Option("--only", help="Only this analysis (repeatable), e.g. conflicts")
                    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Recompute even the analyses whose results are current")
                     ] = False,
) -> None:
    """Recompute every stale spatial analysis (proximity conflicts …) with a progress bar."""
    from geo_risk.analyse import analyse as run_analyses
    from geo_risk.store.db import migrate

    try:
        url = _url()
        migrate(url)
        with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("analyses", total=None)

            def progress(what: str, done: int, total: int) -> None:
                bar.update(task, description=what, completed=done, total=total)

            outcomes = run_analyses(url, only=only, force=force, progress=progress)
        _audit(url, "analyse", ",".join(only or []) or "all", "ok",
               {o.name: o.summary[:500] for o in outcomes if o.ran})
    except GeoRiskError as exc:
        _fail(exc)
    for o in outcomes:
        took = f" ({o.seconds:.1f} s)" if o.ran else ""
        console.print(f"{o.name}{took}: {_operator_text(o.summary)}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def conflicts(
    out: Annotated[Path, typer.Option("--out", help="Output file: conflicts.gpkg, .csv or .xlsx")],
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="Only this enterprise's conflicts")] = None,
    park: Annotated[str | None, typer.Option("--park", help="Only the conflicts of this park's enterprises")] = None,
) -> None:
    """Write the proximity conflicts (analysing first if they are missing or stale) with the settings used."""
    import json

    from geo_risk.analyse import export_conflicts, run_conflicts
    from geo_risk.errors import InvalidInput
    from geo_risk.store.conflicts import conflicts_are_current, latest_run
    from geo_risk.store.db import migrate

    try:
        if enterprise and park:
            raise InvalidInput("give --enterprise or --park, not both")
        url = _url()
        migrate(url)
        if not conflicts_are_current(url):
            console.print("stored conflicts are missing or stale: analysing first")
            console.print(_operator_text(run_conflicts(url)), highlight=False, markup=False, soft_wrap=True)
        paths = export_conflicts(url, out, enterprise_id=enterprise, park_id=park)
        run = latest_run(url)
    except GeoRiskError as exc:
        _fail(exc)
    console.print(f"wrote {', '.join(str(p) for p in paths)}: {run['summary']}", highlight=False, markup=False,
                  soft_wrap=True)
    console.print("settings used: " + json.dumps({k: v for k, v in run["settings"].items() if k != "tags"},
                                                 ensure_ascii=False), highlight=False, markup=False, soft_wrap=True)
    for k, v in run["settings"].get("tags", {}).items():
        console.print(f"  {k}: {v}", highlight=False, markup=False, soft_wrap=True)


@app.command("site-check")
def site_check(
    site: Annotated[str | None, typer.Option("--site", help="The site: a GeoJSON file (one geometry or feature) "
                                             "or WKT text, e.g. 'POINT (126.64 43.90)'")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="A development's GB 36894 kind: school, residential, "
                                             "hospital, mall …")] = None,
    population: Annotated[float | None, typer.Option("--population", help="People at the development (> 0)")] = None,
    households: Annotated[int | None, typer.Option("--households", help="Households (residential)")] = None,
    unit_type: Annotated[str | None, typer.Option("--unit-type", help="A project: production or storage")] = None,
    inventory: Annotated[Path | None, typer.Option("--inventory", help="A project's planned inventory: .json "
                                                   "(list of rows) or .csv (columns of the inventory layer)")] = None,
    equipment: Annotated[str | None, typer.Option("--equipment", help="The project unit's equipment")] = None,
    fire_class: Annotated[str | None, typer.Option("--fire-class", help="The project unit's fire class (甲 …)")] = None,
    crs: Annotated[str | None, typer.Option("--crs", help="CRS of the site: EPSG:4326 (default), EPSG:4490, "
                                            "gcj02, bd09 or a projected EPSG")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name of the site")] = None,
    replaces: Annotated[str | None, typer.Option("--replaces", help="A stored enterprise the project stands in "
                                                 "for (left out of its neighbours)")] = None,
    request: Annotated[Path | None, typer.Option("--request", help="A JSON request as POST /api/v1/siting-check "
                                                 "takes; the options above override its fields")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the result: result.json, or a report a planner "
                                             "can file, report.html or report.pdf (tables and a map)")] = None,
) -> None:
    """Siting check (选址论证, issue 14): a new hazardous project or a new sensitive development — the verdict
    (不予通过 / 有条件通过 / 通过) and every reason with its rule and evidence."""
    import json

    from geo_risk.errors import InvalidInput
    from geo_risk.siting_check import check_site
    from geo_risk.store.db import migrate

    try:
        body: dict = {}
        if request is not None:
            try:
                body = json.loads(Path(request).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InvalidInput(f"--request {request}: not a readable JSON file ({exc})") from exc
        if site is not None:
            p = Path(site)
            if len(site) < 4096 and p.suffix.lower() in (".geojson", ".json") and p.exists():
                body["site"] = json.loads(p.read_text(encoding="utf-8"))
            else:
                body["site"] = site
        if inventory is not None:
            body["inventory"] = _inventory_rows(inventory)
        for key, value in (("kind", kind), ("population", population), ("households", households),
                           ("unit_type", unit_type), ("crs", crs), ("name", name), ("replaces", replaces)):
            if value is not None:
                body[key] = value
        unit = {k: v for k, v in (("equipment", equipment), ("fire_class", fire_class)) if v is not None}
        if unit:
            body["unit"] = {**(body.get("unit") or {}), **unit}
        url = _url()
        migrate(url)
        result = check_site(url, body, tier="restricted")
        if out is not None and Path(out).suffix.lower() == ".json":
            Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        elif out is not None:
            from geo_risk.siting_check import map_layers
            from geo_risk.siting_report import write_report

            write_report(result, out, map_layers(url, result))
    except GeoRiskError as exc:
        _fail(exc)
    say = lambda s: console.print(s, highlight=False, markup=False, soft_wrap=True)  # noqa: E731
    say(f"{result['verdict_label']}" + (f" — {result['veto_statement']}" if result["veto_statement"] else ""))
    shown: dict[str, int] = {}
    for r in result["reasons"]:
        shown[r["rule"]] = shown.get(r["rule"], 0) + 1
        if shown[r["rule"]] <= 5:
            say(f"  [{r['kind']}] {r['rule']}: {r['text']}")
    for rule, n in shown.items():
        if n > 5:
            say(f"  … {rule}: {n - 5} more (see --out)")
    for c in result["checks"]:
        if c["status"] != "fired":
            say(f"  {c['rule']}: {c['status']}" + (f" — {c['note']}" if c["note"] else ""))
    for n in result["notes"]:
        say(f"  note: {n}")
    basis = result["settings"]["rule_kinds_basis"]
    say(f"rulebook {result['rulebook_version']}; kinds: "
        + ", ".join(f"{k} {v} ({basis[k]})" for k, v in result["settings"]["rule_kinds"].items()))
    if out is not None:
        say(f"wrote {out}")


def _inventory_rows(path: Path) -> list[dict]:
    """Planned inventory rows from a .json list or a .csv with the inventory layer's columns."""
    import json

    import pandas as pd

    from geo_risk.errors import InvalidInput

    try:
        if path.suffix.lower() == ".json":
            rows = json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, encoding="utf-8-sig")
            rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                    for r in frame.to_dict("records")]
        else:
            raise InvalidInput(f"--inventory {path.name}: use a .json list of rows or a .csv")
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"--inventory {path}: cannot be read ({exc})") from exc
    return rows


@app.command()
def register(
    out: Annotated[Path, typer.Option("--out", help="Output file: .xlsx (register, planned, notes) or .csv")],
) -> None:
    """Write the register of major hazard sources (重大危险源登记台账), grading first if results are stale."""
    from geo_risk.register import PLANNED_SHEET, build_register, check_register_path, write_register
    from geo_risk.store.db import migrate
    from geo_risk.store.register_query import register_rows
    from geo_risk.store.results import assessments_are_current

    try:
        out = check_register_path(out)
        url = _url()
        migrate(url)
        if not assessments_are_current(url):
            console.print("stored GB 18218 results are missing or stale: grading first")
            run_grading(url)
        frames = build_register(register_rows(url))
        written = write_register(frames, out)
    except GeoRiskError as exc:
        _fail(exc)
    grades = ", ".join(f"{k} {v}" for k, v in frames.grade_counts().items())
    planned_where = written[1] if len(written) > 1 else f"sheet {PLANNED_SHEET!r}"
    console.print(
        f"register: {len(frames.register)} major hazard units ({grades}) written to {written[0]}; "
        f"{len(frames.planned)} planned units in {planned_where}",
        highlight=False, markup=False, soft_wrap=True,
    )


@app.command()
def clusters(
    out: Annotated[Path | None, typer.Option("--out", help="Output file: clusters.gpkg, .csv or .xlsx (the table a "
                                             "park committee sets up a joint emergency plan from)")] = None,
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="Only the cluster of this enterprise")] = None,
    park: Annotated[str | None, typer.Option("--park", help="Only the clusters with a member in this park")] = None,
    recompute: Annotated[bool, typer.Option("--recompute", help="Analyse again even if the stored result is current")
                         ] = False,
) -> None:
    """Joint-prevention clusters (联防联控): domino, fallback and policy links, analysing first if stale."""
    from geo_risk.cluster_runs import export_clusters, run_clusters
    from geo_risk.store.clusters import clusters_are_current, latest_run, list_clusters
    from geo_risk.store.db import migrate

    try:
        if enterprise and park:
            raise GeoRiskError("give --enterprise or --park, not both")
        url = _url()
        migrate(url)
        if recompute or not clusters_are_current(url):
            console.print("stored clusters are missing or stale: analysing" if not recompute else "analysing")
            console.print(_operator_text(run_clusters(url)), highlight=False, markup=False, soft_wrap=True)
        run = latest_run(url)
        rows, total = list_clusters(url, enterprise_id=enterprise, park_id=park, min_members=1, limit=20)
        paths = export_clusters(url, out, enterprise_id=enterprise, park_id=park) if out else []
    except GeoRiskError as exc:
        _fail(exc)
    console.print(f"{run['summary']} (computed {run['computed_at']:%Y-%m-%d %H:%M})", highlight=False, markup=False,
                  soft_wrap=True)
    for r in rows:
        if r["n_members"] < 2 and not (enterprise or park):
            continue
        people = "—" if r["people"] is None else f"{r['people']:,.0f}"
        console.print(f"  {r['id']}: {r['n_members']} enterprise(s), {r['n_links']} link(s) [{r['kinds']}], lead "
                      f"{r['lead_enterprise_id']} {r['lead_enterprise_name']}, ΣR {r['combined_r']:g}, "
                      f"people {people}, worst colour {r['worst_colour']}{', cross-park' if r['cross_park'] else ''}",
                      highlight=False, markup=False, soft_wrap=True)
    if total > len(rows):
        console.print(f"  … {total - len(rows)} more (see --out)", highlight=False, markup=False)
    from geo_risk.cluster_runs import rules_text

    console.print(rules_text(run["settings"]), highlight=False, markup=False, soft_wrap=True)
    if paths:
        console.print(f"wrote {', '.join(str(p) for p in paths)}", highlight=False, markup=False, soft_wrap=True)


@app.command("relocation-plan")
def relocation_plan(
    out: Annotated[Path, typer.Option("--out", help="Output file: plan.gpkg, .csv, .xlsx or .png (the F-N before and "
                                            "after of the parks the plan touches)")],
) -> None:
    """Relocation plan (搬迁入园, issue 14): candidates, 就地改造 / 异地迁建 / 关闭退出 and the park assignment (one
    MIP); stores the plan (the map layer) and writes it with the settings used."""
    from geo_risk.errors import InvalidInput
    from geo_risk.relocation_plan import EXPORT_FORMATS, export_plan, run_relocation_plan, summary_lines
    from geo_risk.store.db import migrate

    try:
        if out.suffix.lower() not in EXPORT_FORMATS:  # before the work, not after
            raise InvalidInput(f"relocation plan output {out.name!r}: give a path ending in "
                               f"{', '.join(EXPORT_FORMATS)}")
        url = _url()
        migrate(url)
        with Progress(TextColumn("{task.description:<36}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("relocation", total=None)

            def progress(what: str, done: int, total: int) -> None:
                bar.update(task, description=what, completed=done, total=total)

            plan, run_id = run_relocation_plan(url, progress)
        path = export_plan(plan, out)
        _audit(url, "relocation-plan", str(out), "ok", {"run": run_id, "summary": plan.summary()})
    except GeoRiskError as exc:
        _fail(exc)
    console.print(f"wrote {path}: {plan.summary()}", highlight=False, markup=False, soft_wrap=True)
    for _, c in plan.cases.iterrows():
        where = f" → {c['park_id']}" if isinstance(c["park_id"], str) else ""
        console.print(f"  {c['enterprise_id']} {c['outcome_label']}{where}: {_operator_text(str(c['reason']))}",
                      highlight=False, markup=False, soft_wrap=True)
    s = plan.solver
    console.print(f"assignment: {s['firms_in_mip']} firm(s) × {s['parks']} park(s), MIP objective "
                  f"{s['mip_objective']:.2f} in {s['mip_seconds']:.3f} s (greedy one-at-a-time "
                  f"{s['greedy_objective']:.2f})",
                  highlight=False, markup=False, soft_wrap=True)
    for line in summary_lines(plan):
        console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    for n in plan.notes:
        console.print(f"  note: {_operator_text(n)}", highlight=False, markup=False, soft_wrap=True)
    for k, v in plan.settings.get("tags", {}).items():
        console.print(f"  {k}: {v}", highlight=False, markup=False, soft_wrap=True)


@app.command("scenario")
def scenario(
    out: Annotated[list[Path], typer.Option("--out", help="Output: diff.tif (IR after − before, float32, local UTM), "
                                            "fn.png (F-N before/after), diff.gpkg (contours, raised/lowered areas, "
                                            "conflicts added/removed) or result.json; repeat for several")],
    file: Annotated[Path | None, typer.Option("--file", help="The scenario: JSON with changes (add_project, "
                                              "remove_enterprise, move_to_park, cut_inventory, add_development, "
                                              "relocation_case) as POST /api/v1/scenarios takes")] = None,
    siting_request: Annotated[Path | None, typer.Option("--siting-request", help="Instead: a siting-check request "
                                                        "(JSON as POST /api/v1/siting-check takes) as a scenario")
                              ] = None,
    relocation_plan: Annotated[bool, typer.Option("--relocation-plan", help="Instead: the stored relocation plan "
                                                  "(every case) as a scenario")] = False,
) -> None:
    """Before/after scenario (issue 14): planned changes on top of the stored city (the store is not written) —
    the IR difference, F-N before and after, conflicts added and removed, people per IR band."""
    import json

    from geo_risk.errors import InvalidInput
    from geo_risk.scenarios import OUTPUTS, from_relocation_plan, from_siting_request, run_scenario, write_products
    from geo_risk.store.db import migrate

    try:
        bad = [o for o in out if o.suffix.lower() not in OUTPUTS]
        if bad:  # before the work, not after
            raise InvalidInput(f"scenario output {bad[0].name!r}: give a path ending in {', '.join(OUTPUTS)}")
        if sum((file is not None, siting_request is not None, relocation_plan)) != 1:
            raise InvalidInput("give one of --file (a scenario), --siting-request (a siting-check request) or "
                               "--relocation-plan (the stored plan)")
        source = file or siting_request
        body: dict = {}
        if source is not None:
            try:
                body = json.loads(Path(source).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InvalidInput(f"{source}: not a readable JSON file ({exc})") from exc
        url = _url()
        migrate(url)
        if siting_request is not None:
            body = from_siting_request(body)
        elif relocation_plan:
            body = from_relocation_plan(url)
        with Progress(TextColumn("{task.description:<36}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("scenario", total=None)

            def progress(what: str, done: int, total: int) -> None:
                bar.update(task, description=what, completed=done, total=total)

            result = run_scenario(url, body, progress=progress)
        paths = [write_products(result, o) for o in out]
        _audit(url, "scenario", result.name, "ok",
               {"scenario_id": result.scenario_id, "touched": sorted(result.touched)})
    except GeoRiskError as exc:
        _fail(exc)
    v = result.verdict()
    console.print(f"scenario {result.name} ({result.scenario_id}): {v['ir_label']}; conflicts added "
                  f"{v['conflicts_added']}, removed {v['conflicts_removed']}; QRA re-run for "
                  f"{', '.join(sorted(result.touched)) or 'none'} in {result.timings.get('total_s', 0):.1f} s",
                  highlight=False, markup=False, soft_wrap=True)
    for band, b in result.bands.items():
        console.print(f"  people {band} (≥ {b['lower_per_year']:g}/a): {b['before']:,.0f} → {b['after']:,.0f}",
                      highlight=False, markup=False, soft_wrap=True)
    for label, c in result.fn.items():
        console.print(f"  F-N {label}: {c['region_before'] or 'no stored run'} → {c['region_after'] or 'none (gone)'}",
                      highlight=False, markup=False, soft_wrap=True)
    for n in result.notes:
        console.print(f"  note: {_operator_text(n)}", highlight=False, markup=False, soft_wrap=True)
    for p in paths:
        console.print(f"wrote {p}", highlight=False, markup=False, soft_wrap=True)


@app.command("simulate-sensors")
def simulate_sensors(
    sensors: Annotated[Path | None, typer.Option("--sensors", help="Sensors CSV/JSON (SensorSpec fields; "
                                                 "or a GeoPackage's sensors layer, e.g. sample_geo/jilin_city.gpkg; "
                                                 "capacity_m3, density_t_m3, design_max_t for overfill); "
                                                 "default: a built-in small plant")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Readings file: .csv or .jsonl")] = None,
    truth: Annotated[Path | None, typer.Option("--truth", help="Injected faults, JSON (default: <out>.faults.json)")
                     ] = None,
    start: Annotated[str | None, typer.Option("--start", help="Start, ISO 8601 UTC (default 2026-01-01T04:00Z; "
                                                "with --publish: the run ends just before now)")] = None,
    duration_s: Annotated[float, typer.Option("--duration", min=1, help="Simulated seconds")] = 4 * 3600.0,
    period_s: Annotated[float, typer.Option("--period", min=0.01, help="Seconds between readings")] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same readings)")] = 0,
    no_faults: Annotated[bool, typer.Option("--no-faults", help="Inject no faults")] = False,
    publish: Annotated[bool, typer.Option("--publish", help="Also publish the readings over MQTT (the ingest's "
                                          "publisher)")] = False,
    evaluate: Annotated[bool, typer.Option("--evaluate", help="Run the alarm engine over the readings and print "
                                           "the alarms per 1,000 readings before/after filtering, the faults found "
                                           "and the EEMUA 191 figures")] = False,
) -> None:
    """Simulated sensor readings (issue 15): tank filling and emptying, daily temperature cycles, noise, and
    injected faults (stuck, spike, dropout, slow leak, overfill) with their ground truth."""
    import json
    from datetime import UTC, datetime, timedelta

    from geo_risk.errors import InvalidInput
    from geo_risk.monitoring import simulate as sim

    try:
        if out is None and not publish and not evaluate:
            raise InvalidInput("nothing to do: give --out readings.csv (or .jsonl), --publish or --evaluate")
        if out is not None and out.suffix.lower() not in (".csv", ".jsonl"):
            raise InvalidInput(f"--out {out}: use a .csv or .jsonl file")
        specs, overfill = sim.read_sensors(sensors) if sensors else sim.builtin_plant()
        try:
            if start:
                t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
            elif publish:  # published readings must be inside the retention and not from the future
                from geo_risk.monitoring.ingest import publish_start

                t0 = publish_start(duration_s)
            else:
                t0 = sim.DEFAULT_START
        except ValueError:
            raise InvalidInput(f"--start {start!r} is not an ISO 8601 time, e.g. 2026-01-01T04:00:00Z") from None
        if t0.tzinfo is None:
            t0 = t0.replace(tzinfo=UTC)
        faults = [] if no_faults else sim.default_faults(specs, t0, duration_s, overfill)
        sinks: list = []
        closers: list = []
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            fh = out.open("w", encoding="utf-8", newline="")
            closers.append(fh.close)
            first = [True]

            def write(chunk, fh=fh, first=first) -> None:  # noqa: ANN001 - a readings DataFrame
                frame = chunk[["sensor_id", "ts", "value"]]
                if out.suffix.lower() == ".csv":
                    frame.to_csv(fh, index=False, header=first[0], date_format="%Y-%m-%dT%H:%M:%S.%fZ")
                else:
                    frame.to_json(fh, orient="records", lines=True, date_format="iso", date_unit="ms")
                first[0] = False

            sinks.append(write)
        if publish:  # the ingest module provides the MQTT publisher: publisher(settings) -> sink (with .close())
            from geo_risk.monitoring import ingest

            factory = getattr(ingest, "publisher", None)
            if factory is None:
                raise InvalidInput("--publish needs the MQTT publisher of geo_risk.monitoring.ingest "
                                   "(publisher(settings)), which this build does not have; write --out instead")
            pub = factory(get_settings())
            sinks.append(pub)
            if hasattr(pub, "close"):
                closers.append(pub.close)
        evaluator = sim.ReplayEvaluator(specs, overfill) if evaluate else None
        if evaluator is not None:
            sinks.append(evaluator)
        chunk_s = 3600.0
        n_chunks = max(1, -(-int(duration_s // period_s) // max(1, int(chunk_s // period_s))))
        rows = 0
        try:
            with Progress(TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console, disable=not sys.stderr.isatty()) as bar:
                task = bar.add_task("simulated hours", total=n_chunks)
                for chunk in sim.simulate_chunks(specs, t0, duration_s, period_s, seed, faults, chunk_s=chunk_s):
                    for sink in sinks:
                        sink(chunk)
                    rows += len(chunk)
                    bar.advance(task)
        finally:
            for close in closers:
                close()
        if out is not None:
            truth = truth or out.with_name(out.name.rsplit(".", 1)[0] + ".faults.json")
            truth.write_text(json.dumps([f.to_dict() for f in faults], ensure_ascii=False, indent=1),
                             encoding="utf-8")
    except GeoRiskError as exc:
        _fail(exc)
    where = f" to {out} (injected faults: {truth})" if out is not None else ""
    console.print(f"{rows} readings of {len(specs)} sensors{where}", highlight=False, markup=False, soft_wrap=True)
    for f in faults:
        console.print(f"  fault {f.kind} on {f.sensor_id} {f.start.isoformat()} → {f.end.isoformat()} "
                      f"(expects {'/'.join(f.expects)})", highlight=False, markup=False, soft_wrap=True)
    if evaluator is not None:
        s = evaluator.summary(faults, t0, t0 + timedelta(seconds=duration_s))
        for name in ("raw", "filtered"):
            x = s[name]
            console.print(f"{name:>8}: {x['alarms']} alarms, {x['per_1000_readings']:.3f} per 1,000 readings; "
                          f"per 10 min average {x['average_per_10min']:.2f}, peak {x['peak_per_10min']}, "
                          f"flood {x['flood_pct']:.1f} % of periods; chattering {len(x['chattering'])}, "
                          f"standing {len(x['standing'])}; top {x['top'][:3]} ({x['top_share'] * 100:.0f} % "
                          "of activations in the top 10)", highlight=False, markup=False, soft_wrap=True)
        for f in s["faults"]:
            found = "/".join(f["raised"]) or "NOT FOUND"
            console.print(f"  {f['fault']} on {f['sensor']}: {found}", highlight=False, markup=False)
        if not all(f["raised"] for f in s["faults"]):
            raise typer.Exit(code=1)


@app.command("render-map")
def render_map(
    out: Annotated[Path, typer.Option("--out", help="Output file, e.g. map.html")],
    layers: Annotated[
        str | None, typer.Option("--layers", help="Comma-separated layer ids (default: every public layer)")
    ] = None,
) -> None:
    """Write a self-contained static HTML map of the current data, to share without the server."""
    from geo_risk.store.db import migrate
    from geo_risk.store.features import layer_counts
    from geo_risk.store.results import assessments_are_current
    from layers.render import check_map_path, read_assets, select_layers
    from layers.render import render_map as write_map

    ids = layers.split(",") if layers is not None else None
    try:
        check_map_path(out)  # the arguments and the vendored Leaflet first: no grading for nothing
        select_layers(ids)
        read_assets()
        url = _url()
        migrate(url)
        if layer_counts(url, ["hazard_units"])["hazard_units"] and not assessments_are_current(url):
            console.print("stored GB 18218 results are missing or stale: grading first")
            run_grading(url)
        report = write_map(url, out, ids)
    except GeoRiskError as exc:
        _fail(exc)
    console.print(report.summary(), highlight=False, markup=False, soft_wrap=True)


@app.command("risk-map")
def risk_map(
    out: Annotated[Path, typer.Option("--out", help="Output file: city.pdf or city.png")],
    title_zh: Annotated[str, typer.Option("--title-zh", help="Title in Chinese")] = "城市安全风险分布图",
    title_en: Annotated[str, typer.Option("--title-en", help="Title in English")] = "City safety-risk map",
) -> None:
    """Write the one-page city risk map (PDF or PNG): zones, hazard sources, parks, conflicts, clusters."""
    from geo_risk.store.db import migrate
    from geo_risk.store.features import layer_counts
    from geo_risk.store.results import assessments_are_current
    from layers.city_map import check_sheet_path, write_city_map

    try:
        check_sheet_path(out)
        url = _url()
        migrate(url)
        if layer_counts(url, ["hazard_units"])["hazard_units"] and not assessments_are_current(url):
            console.print("stored GB 18218 results are missing or stale: grading first")
            run_grading(url)
        console.print("drawing the city map…")
        report = write_city_map(url, out, title_zh=title_zh, title_en=title_en)
    except GeoRiskError as exc:
        _fail(exc)
    console.print(report.summary(), highlight=False, markup=False, soft_wrap=True)


@app.command("export")
def export_command(
    layer: Annotated[str, typer.Argument(help="Layer id, e.g. hazard_sources, enterprises, chemical_parks")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="gpkg, shp, geojson, kml, fgb or csv")],
    out: Annotated[Path, typer.Option("--out", help="Output file (suffix of the format) or folder")],
    include_history: Annotated[bool, typer.Option(
        "--include-history", help="Also results whose inputs changed since (risk_contours); default: current only",
    )] = False,
) -> None:
    """Export a map layer (EPSG:4326) for QGIS/GDAL: GeoPackage and Shapefile carry its style."""
    from geo_risk.export import describe, export_layer
    from geo_risk.store.db import migrate
    from geo_risk.store.results import assessments_are_current

    try:
        url = _url()
        migrate(url)
        if layer == "hazard_sources" and not assessments_are_current(url):
            console.print("stored GB 18218 results are missing or stale: grading first")
            run_grading(url)
        paths = export_layer(url, layer, fmt, out, include_history=include_history)
        layers = describe(paths)
    except GeoRiskError as exc:
        _fail(exc)
    for d in layers:
        console.print(f"{layer} → {d.path} (layer {d.layer}, {d.geometry}): {d.features} features, {d.crs}",
                      highlight=False, markup=False, soft_wrap=True)
    data = {d.path for d in layers}
    sides = [p.name for p in paths if p not in data]
    if sides:
        console.print(f"with {', '.join(sides)}", highlight=False, markup=False, soft_wrap=True)


# -- the hidden-danger register (issue 15) ---------------------------------------------------------
hd_app = typer.Typer(help="The hidden-danger register (隐患排查治理): import, list.", no_args_is_help=True)
app.add_typer(hd_app, name="hidden-dangers")


@hd_app.command("import")
def hidden_dangers_import(
    path: Annotated[Path, typer.Argument(help="A register as regulators keep it: .xlsx or .csv with Chinese headers "
                                              "(企业名称, 隐患描述, 隐患级别, 发现日期, 整改期限, 责任人, 状态, …)")],
    update: Annotated[bool, typer.Option("--update", help="Rows whose 隐患编号 is already stored update those items "
                                                          "(default: refused)")] = False,
) -> None:
    """Import a hidden-danger register all or nothing: a bad row (unknown enterprise, level, date) is named
    and nothing is written."""
    from geo_risk.hidden_dangers import import_file
    from geo_risk.store.audit import cli_actor
    from geo_risk.store.db import migrate

    try:
        url = _url()
        migrate(url)
        ids = import_file(url, path, actor=cli_actor(), update=update)
    except GeoRiskError as exc:
        _fail(exc)
    console.print(f"{path.name}: {len(ids)} hidden danger(s) imported", highlight=False, markup=False)


@hd_app.command("list")
def hidden_dangers_list(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only items past their deadline and not closed")] = False,
    on: Annotated[str | None, typer.Option("--on", help="Judge overdue on this day (YYYY-MM-DD; default today)")
                  ] = None,
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="Only this enterprise id")] = None,
) -> None:
    """List the register (tab-separated on stdout): overdue items carry 超期, overdue major ones 通报."""
    from geo_risk.analysis.hidden_dangers import parse_date
    from geo_risk.store.db import migrate
    from geo_risk.store.hidden_dangers import list_items

    try:
        day = parse_date(on, "--on") if on else None
        url = _url()
        migrate(url)
        rows = list_items(url, on=day, enterprise_id=enterprise, overdue=True if overdue else None, limit=1_000_000)
    except GeoRiskError as exc:
        _fail(exc)
    typer.echo("\t".join(("id", "企业", "级别", "整改期限", "状态", "挂牌督办", "标记", "隐患描述")))
    for r in rows:
        mark = "通报" if r["notice"] else ("超期" if r["overdue"] else "")
        supervised = r["supervised_by"] or ("是" if r["supervised"] else "")
        typer.echo("\t".join((r["id"], r["enterprise_name"] or r["enterprise_id"], r["level_label"], str(r["deadline"]),
                              r["status_label"], supervised, mark, r["description"])))
    console.print(f"{len(rows)} item(s); overdue {sum(r['overdue'] for r in rows)}, for 通报 "
                  f"{sum(r['notice'] for r in rows)}", highlight=False, markup=False)


# -- alarms (issue 15) ------------------------------------------------------------------------------
alarm_app = typer.Typer(help="Alarms of the live monitoring: list, act (acknowledge, shelve, …).", no_args_is_help=True)
app.add_typer(alarm_app, name="alarms")


@alarm_app.command("list")
def alarms_list(
    active: Annotated[bool, typer.Option("--active", help="Only alarms whose condition is in alarm now")] = False,
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="Only this enterprise id")] = None,
) -> None:
    """List the stored alarms, newest change first (tab-separated on stdout; the operator sees every figure)."""
    from geo_risk.disclosure import disclose
    from geo_risk.monitoring.lifecycle import STATE_LABELS
    from geo_risk.store.alarms import list_alarms

    try:
        url = _url()
        rows = list_alarms(url, active=True if active else None, enterprise_id=enterprise, limit=1_000_000)
    except GeoRiskError as exc:
        _fail(exc)
    typer.echo("\t".join(("key", "企业", "优先级", "状态", "changed_at", "message")))
    for r in rows:
        typer.echo("\t".join((r["key"], r["enterprise_id"] or "", r["priority"], STATE_LABELS[r["state"]][0],
                              r["changed_at"].isoformat(), disclose(r["message"] or "", "restricted"))))
    console.print(f"{len(rows)} alarm(s); in alarm now {sum(r['active'] for r in rows)}", highlight=False,
                  markup=False)


@alarm_app.command("act")
def alarms_act(
    key: Annotated[str, typer.Argument(help="The alarm, <sensor_id>:<kind>, e.g. T-101-LT:HH")],
    action: Annotated[str, typer.Argument(help="acknowledge, shelve, unshelve, suppress, unsuppress, "
                                               "remove-from-service or return-to-service")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit)")] = "",
    hours: Annotated[float | None, typer.Option("--hours", help="shelve: for this many hours")] = None,
) -> None:
    """An operator's action on an alarm, audited with the OS user as who."""
    from datetime import UTC, datetime, timedelta

    from geo_risk.errors import InvalidInput
    from geo_risk.monitoring.alarms import parameters
    from geo_risk.store.alarms import ACTIONS, act, connect
    from geo_risk.store.audit import cli_actor

    try:
        if action not in ACTIONS:
            raise InvalidInput(f"unknown action {action!r}; valid: {', '.join(ACTIONS)}")
        now = datetime.now(UTC)
        until = now + timedelta(hours=hours) if hours is not None else None
        url = _url()
        conn = connect(url)
        try:
            row = act(conn, key, action, cli_actor(), now, reason, until,
                      parameters(get_settings().alarm_parameters)["max_shelve_s"])
        finally:
            conn.close()
    except GeoRiskError as exc:
        _fail(exc)
    console.print(f"{key}: {row['state']}", highlight=False, markup=False)


# -- serve / demo ---------------------------------------------------------------------------------
def _serve(url: str) -> None:
    import uvicorn

    from api.app import create_app
    from geo_risk.ports import free_port, port_free

    settings = get_settings()
    port = settings.port or free_port()
    if settings.host in ("127.0.0.1", "localhost") and not port_free(port):
        free = free_port()
        console.print(f"port {port} is in use (GEO_RISK_PORT): serving on {free} instead")
        port = free
    application = create_app(settings, database_url=url)
    monitoring = None
    if settings.monitoring_enabled:  # the broker and the MQTT readings ingest beside the API (issue 15)
        from geo_risk.monitoring.service import start_monitoring

        monitoring = start_monitoring(settings, url, echo=console.print)
    console.print(f"geo_risk is serving: web map http://{settings.host}:{port}/map , API docs /docs")
    try:
        from api.routes.alarms import closing_event

        # open alarm event streams (GET /api/v1/alarms/stream) end when the exit signal comes (and at worst 5 s on)
        server = uvicorn.Server(uvicorn.Config(application, host=settings.host, port=port, log_level="warning",
                                               timeout_graceful_shutdown=5))
        closing, handle_exit = closing_event(application), server.handle_exit

        def exit_signal(sig, frame) -> None:  # noqa: ANN001
            closing.set()
            handle_exit(sig, frame)

        server.handle_exit = exit_signal  # type: ignore[method-assign]
        server.run()
    finally:
        if monitoring is not None:
            monitoring.stop()


@app.command()
def ingest() -> None:
    """Run the MQTT readings ingest (issue 15) until interrupted: the project's broker (mosquitto, loopback,
    GEO_RISK_MQTT_* credentials) is started if needed; readings are acknowledged only once stored."""
    from geo_risk.monitoring.service import run_ingest
    from geo_risk.store.db import migrate

    try:
        url = _url()
        migrate(url)
        run_ingest(get_settings(), url, echo=lambda s: console.print(s, highlight=False, markup=False))
    except GeoRiskError as exc:
        _fail(exc)


@app.command()
def serve() -> None:
    """Serve the API and the web map on the configured store."""
    try:
        _serve(_url())
    except GeoRiskError as exc:
        _fail(exc)


def _demo_register(url: str) -> None:
    """The sample city's hidden-danger register (sample_geo/hidden_dangers.csv), when the store holds none."""
    from sqlalchemy import text

    from geo_risk.hidden_dangers import SAMPLE_REGISTER, import_file
    from geo_risk.store.audit import cli_actor
    from geo_risk.store.db import get_engine

    with get_engine(url).connect() as conn:
        if conn.execute(text("SELECT EXISTS (SELECT 1 FROM hidden_dangers)")).scalar():
            return
    ids = import_file(url, SAMPLE_REGISTER, actor=cli_actor())
    console.print(f"hidden-danger register: {len(ids)} items ({SAMPLE_REGISTER.name})")


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Set up and load, then exit")] = False,
    simulate: Annotated[bool, typer.Option("--simulate/--no-simulate", help="While serving, feed the sample city's "
                                           "906 sensors simulated readings every 5 s with faults every 30 min, so the "
                                           "map's alarms and live colours move (geo_risk.monitoring.demo_feed)")
                        ] = True,
) -> None:
    """Bring up the store, migrate, load the sample city (吉林市, synthetic) and serve the web map (alive: simulated
    sensor readings raise alarms on the map, unless --no-simulate)."""
    from geo_risk.store.db import migrate

    try:
        url = _url(start=True)
        migrate(url)
        report = run_load(SAMPLE_CITY, url, show_progress=sys.stderr.isatty())
        console.print(report.summary(), highlight=False, markup=False, soft_wrap=True)
        _audit(url, "load", str(SAMPLE_CITY), "ok", {"counts": report.counts})
        run_grading(url)
        _demo_register(url)
        from geo_risk.analyse import analyse as run_analyses

        # every analysis, when stale: about 2 s (conflicts), 3 s (clusters) and 1–3 s (zoning) on the sample
        # city on 2 cores; no QRA grids yet (`geo-risk risk --all`, ~40 s, then `geo-risk analyse` adds them)
        for o in run_analyses(url):
            console.print(f"{o.name}: {_operator_text(o.summary)}", highlight=False, markup=False, soft_wrap=True)
        if not no_serve:
            feed = None
            if simulate:
                from geo_risk.monitoring.demo_feed import DemoFeed

                feed = DemoFeed(url, get_settings(), SAMPLE_CITY,
                                echo=lambda s: console.print(s, highlight=False, markup=False, soft_wrap=True)).start()
            try:
                _serve(url)
            finally:
                if feed is not None:
                    feed.stop()
    except GeoRiskError as exc:
        _fail(exc)


if __name__ == "__main__":
    app()

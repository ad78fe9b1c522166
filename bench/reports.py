"""Progress reports against their budgets: wall time, peak memory and SQL queries.

    .venv/bin/python bench/reports.py                 # a temporary SQLite file
    DATABASE_URL=postgres://USER@HOST:PORT/ANY .venv/bin/python bench/reports.py

Builds a throwaway database (a temporary SQLite file, or with DATABASE_URL a
temporary database on that PostgreSQL server, dropped afterwards), migrates
it, generates the `reports` preset of bench/datagen.py, then measures each
report in its own subprocess so that peak RSS belongs to that report alone:

- the startup report of the startup with 600 measurements;
- the cohort report of the cohort of 50 startups;
- the annual incubator report over the 1,000-startup incubator.

Each measures what a background generation does: data assembly, then the
PDF, then the web version (HTML).

Each: median wall time of 3 runs, peak RSS, SQL queries of the data assembly,
and the same count at half the size (300 measurements, 25 startups, 500
startups), which must not differ. Prints a table, rewrites the "Reports"
section of docs/performance.md for this database, and exits 1 when a budget
is missed.
"""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

DOCS = ROOT / "docs" / "performance.md"
SEED = 2026

# case: (title, budget seconds, budget peak RSS in MB or None)
CASES = {
    "startup": ("Startup report, 600 measurements (half: 300)", 0.5, None),
    "cohort": ("Cohort report, 50 startups (half: 25)", 3.0, None),
    "incubator": ("Annual incubator report, 1,000 startups (half: 500)", 15.0, 300),
}
# The landmarks of the `reports` preset each case runs on: full size, half size.
TARGETS = {
    "startup": ("startup_600", "startup_300"),
    "cohort": ("cohort_50", "cohort_25"),
    "incubator": ("incubator_1000", "incubator_500"),
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# --- Workers (run in subprocesses, with Django) ---------------------------------------


def _django():
    import django

    django.setup()


def worker_setup(out: Path, seed: int) -> None:
    """Migrate the empty database and generate the `reports` preset into it."""
    _django()
    from django.core.management import call_command
    from django.db import connection

    from bench.datagen import generate

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter() - started
    summary = generate("reports", seed=seed, log=lambda line: print(line, flush=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = "PostgreSQL " + cursor.fetchone()[0].split()[0]
        else:
            cursor.execute("SELECT sqlite_version()")
            version = "SQLite " + cursor.fetchone()[0]
    result = summary.as_dict() | {"database": version, "migrate_seconds": round(migrated, 1)}
    out.write_text(json.dumps(result))


def _case(case: str, landmarks: dict[str, str]):
    """(build the full-size report data, render its PDF or None, build the half-size data)."""
    from django.db.models import Min
    from django.utils import timezone

    from incubator.models import Incubator, Startup
    from programs.models import Cohort

    today = timezone.localdate()
    full, half = (landmarks[key] for key in TARGETS[case])
    if case == "startup":
        from incubator.reports.data import startup_report_data
        from incubator.reports.pdf import render_startup_report

        def data(slug):
            # The whole history: every measurement and milestone is in the period.
            startup = Startup.objects.annotate(first=Min("transitions__date")).get(slug=slug)
            return lambda: startup_report_data(
                startup=startup, start=startup.first, end=today, public=False
            )

        return data(full), render_startup_report, data(half)
    if case == "cohort":
        from incubator.reports.data import cohort_report_data
        from incubator.reports.pdf import render_cohort_report

        def data(slug):
            # From the cohort's start to today: alerts are computed too.
            cohort = Cohort.objects.get(slug=slug)
            return lambda: cohort_report_data(
                cohort=cohort, start=cohort.start_date, end=today, public=False
            )

        return data(full), render_cohort_report, data(half)
    from incubator.reports.data_network import incubator_report_data as build
    from incubator.reports.pdf_network import render_incubator_report

    def data(slug):
        # Last full year: the generated network is active all through it.
        incubator = Incubator.objects.get(slug=slug)
        return lambda: build(incubator=incubator, year=today.year - 1, public=False)

    return data(full), render_incubator_report, data(half)


def worker_measure(out: Path, case: str, landmarks: dict[str, str], repeat: int) -> None:
    """Time `repeat` runs of one report, then count the queries at full and half size."""
    _django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incubator.reports.html import render_report_html

    baseline = _peak_rss_mb()
    full, render, half = _case(case, landmarks)
    runs, size = [], 0
    for _run in range(repeat):
        started = time.perf_counter()
        report = full()
        built = time.perf_counter()
        pdf = render(report)
        rendered = time.perf_counter()
        html = render_report_html(report)
        done = time.perf_counter()
        runs.append((built - started, rendered - built, done - rendered, done - started))
        size = len(pdf)
        del report, pdf, html
    peak = _peak_rss_mb()  # before the extra work below: page count, query capture
    pages = _pdf_pages(render(full()))
    with CaptureQueriesContext(connection) as queries:
        full()
    with CaptureQueriesContext(connection) as queries_half:
        half()
    out.write_text(
        json.dumps(
            {
                "case": case,
                "runs": runs,
                "data_seconds": statistics.median(r[0] for r in runs),
                "pdf_seconds": statistics.median(r[1] for r in runs),
                "html_seconds": statistics.median(r[2] for r in runs),
                "seconds": statistics.median(r[3] for r in runs),
                "peak_rss_mb": round(peak, 1),
                "baseline_rss_mb": round(baseline, 1),
                "queries": len(queries),
                "queries_half": len(queries_half),
                "pdf_kb": round(size / 1024, 1),
                "pdf_pages": pages,
            }
        )
    )


def _pdf_pages(content: bytes) -> int | None:
    try:
        import io

        from pypdf import PdfReader
    except ImportError:  # a dev dependency
        return None
    return len(PdfReader(io.BytesIO(content)).pages)


def worker_profile(case: str, landmarks: dict[str, str], limit: int = 35) -> None:
    """cProfile one data + PDF + HTML run of a case; prints the slowest calls (cumulative)."""
    import cProfile
    import pstats

    from incubator.reports.html import render_report_html

    _django()
    full, render, _half = _case(case, landmarks)
    full()  # warm: imports, fonts, translations
    profiler = cProfile.Profile()
    profiler.enable()
    report = full()
    render(report)
    render_report_html(report)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(limit)


# --- The throwaway database -------------------------------------------------------------


class ThrowawayDatabase:
    """A temporary SQLite file, or a temporary database on DATABASE_URL's PostgreSQL server."""

    def __init__(self, base_url: str | None):
        self.base_url = base_url
        self.tmpdir = Path(tempfile.mkdtemp(prefix="bench-reports-"))
        self.pg_name = None
        if base_url and urlsplit(base_url).scheme.startswith("postgres"):
            self.pg_name = f"bench_reports_{os.getpid()}_{secrets.token_hex(3)}"
            with self._admin() as admin:
                admin.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.url = urlsplit(base_url)._replace(path=f"/{self.pg_name}").geturl()
        elif base_url:
            raise SystemExit(f"Only PostgreSQL is supported in DATABASE_URL, not {base_url!r}.")
        else:
            self.url = f"sqlite:///{self.tmpdir / 'bench.sqlite3'}"

    def _admin(self):
        import dj_database_url
        import psycopg

        settings = dj_database_url.parse(self.base_url)
        return psycopg.connect(
            dbname="postgres",
            user=settings.get("USER") or None,
            password=settings.get("PASSWORD") or None,
            host=settings.get("HOST") or None,
            port=settings.get("PORT") or None,
            autocommit=True,
        )

    def drop(self) -> None:
        if self.pg_name:
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        shutil.rmtree(self.tmpdir, ignore_errors=True)


# --- The parent: build, measure, report ------------------------------------------------


def _run_worker(env, *args, timeout=1800) -> bool:
    """Run this script as a worker subprocess; whether it succeeded (its errors are shown)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    completed = subprocess.run(command, env=env, timeout=timeout, check=False)  # noqa: S603 - this script, no shell
    return completed.returncode == 0


def _child_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        DEBUG="0",  # DEBUG would keep every query in memory
        LOG_LEVEL="WARNING",
    )
    env.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _verdicts(case: str, result: dict) -> list[str]:
    """What this result misses: time, memory, constant queries."""
    _title, seconds, rss = CASES[case]
    missed = []
    if result["seconds"] > seconds:
        missed.append(f"{result['seconds']:.2f} s > {seconds:g} s")
    if rss is not None and result["peak_rss_mb"] > rss:
        missed.append(f"{result['peak_rss_mb']:.0f} MB > {rss} MB")
    if result["queries"] != result["queries_half"]:
        missed.append(f"queries grow ({result['queries_half']} → {result['queries']})")
    return missed


def _budget_text(case: str) -> str:
    _title, seconds, rss = CASES[case]
    return f"≤ {seconds:g} s" + (f", ≤ {rss} MB" if rss else "")


def _table(results: dict[str, dict | str]) -> list[str]:
    lines = [
        "| Report | Budget | Median (data + PDF + HTML) | Peak RSS | Queries (half size) "
        "| Verdict |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case, (title, _seconds, _rss) in CASES.items():
        result = results.get(case)
        if isinstance(result, str) or result is None:
            lines.append(f"| {title} | {_budget_text(case)} | {result or 'not run'} | | | |")
            continue
        missed = _verdicts(case, result)
        lines.append(
            f"| {title} | {_budget_text(case)} "
            f"| {result['seconds']:.2f} s ({result['data_seconds']:.2f} + "
            f"{result['pdf_seconds']:.2f} + {result['html_seconds']:.2f}) "
            f"| {result['peak_rss_mb']:.0f} MB "
            f"| {result['queries']} ({result['queries_half']}) "
            f"| {'**missed**: ' + '; '.join(missed) if missed else 'ok'} |"
        )
    return lines


INTRO = """# Performance

Figures in this file come from the scripts in `bench/` (`bench/*.py`), which
build their own throwaway database and data (`bench/datagen.py`); each table
says on which machine and database it was measured. Rerun the script rather
than editing a figure by hand (see `bench/README.md`).
"""

REPORTS_HEADER = """## Reports

`bench/reports.py`: the `reports` preset of `bench/datagen.py` (an incubator
of 1,000 startups in 8 cohorts, one of 50 and one of 25; a twin incubator of
500; showcase startups with 600 and 300 measurements), each report measured
in its own process: median wall time of 3 runs of data assembly + PDF + HTML, peak
RSS of that process (Python and Django included), SQL queries of the data
assembly at full size and, in brackets, at half size (they must be equal).
"""


def _update_docs(database: str, block: str) -> None:
    """Replace this database's subsection of the Reports section, keeping everything else."""
    text = DOCS.read_text() if DOCS.exists() else INTRO
    family = database.split()[0]  # "SQLite" or "PostgreSQL"
    subsection = f"### {family}\n\n{block.strip()}\n"
    section = re.search(r"^## Reports\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if section is None:
        text = text.rstrip("\n") + "\n\n" + REPORTS_HEADER + "\n" + subsection
    else:
        body = section.group(0)
        pattern = rf"^### {re.escape(family)}\n.*?(?=^### |\Z)"
        if re.search(pattern, body, flags=re.M | re.S):
            body = re.sub(pattern, lambda _m: subsection + "\n", body, flags=re.M | re.S)
        else:
            body = body.rstrip("\n") + "\n\n" + subsection + "\n"
        text = text[: section.start()] + body + text[section.end() :]
    DOCS.write_text(text.rstrip("\n") + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=list(CASES), action="append", help="measure only these")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/performance.md")
    parser.add_argument(
        "--profile", choices=list(CASES), help="print a cProfile of one run of this report"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:  # inside a subprocess
        action, *rest = args.worker
        if action == "setup":
            worker_setup(Path(rest[0]), int(rest[1]))
        elif action == "measure":
            worker_measure(Path(rest[0]), rest[1], json.loads(rest[2]), int(rest[3]))
        elif action == "profile":
            worker_profile(rest[0], json.loads(rest[1]))
        return 0

    database = ThrowawayDatabase(os.environ.get("DATABASE_URL") or None)
    env = _child_env(database.url)
    try:
        print(f"Throwaway database: {database.pg_name or database.url}", flush=True)
        setup_file = database.tmpdir / "setup.json"
        if not _run_worker(env, "setup", str(setup_file), str(args.seed)):
            raise SystemExit("Could not build the benchmark database (see above).")
        setup = json.loads(setup_file.read_text())
        landmarks = setup["landmarks"]
        print(
            f"{setup['database']}: migrated in {setup['migrate_seconds']} s, "
            f"generated {setup['counts']['startups']} startups in {setup['seconds']} s",
            flush=True,
        )
        if args.profile:
            _run_worker(env, "profile", args.profile, json.dumps(landmarks))
            return 0

        results: dict[str, dict | str] = {}
        for case in args.only or list(CASES):
            out = database.tmpdir / f"{case}.json"
            if _run_worker(env, "measure", str(out), case, json.dumps(landmarks), str(args.repeat)):
                results[case] = json.loads(out.read_text())
                print(f"{CASES[case][0]}: done", flush=True)
            else:
                results[case] = "failed: error above"
    finally:
        database.drop()

    table = _table(results)
    print()
    print("\n".join(table))
    missed = {
        case: _verdicts(case, result)
        for case, result in results.items()
        if isinstance(result, dict)
    }
    missed = {case: reasons for case, reasons in missed.items() if reasons}
    missed |= {
        case: [result] for case, result in results.items() if str(result).startswith("failed")
    }
    details = []
    for case, result in results.items():
        if isinstance(result, dict):
            details.append(
                f"- {CASES[case][0]}: runs "
                + ", ".join(f"{run[-1]:.2f}" for run in result["runs"])
                + f" s; process RSS before the report {result['baseline_rss_mb']:.0f} MB"
                + f"; PDF {result['pdf_pages']} pages, {result['pdf_kb']:.0f} kB"
                + "."
            )
    counts = setup["counts"]
    block = "\n".join(
        [
            f"Measured {datetime.date.today():%Y-%m-%d} on {os.cpu_count()} CPUs "  # noqa: DTZ011
            f"({_cpu_model()}), Python {platform.python_version()}, {setup['database']}; "
            f"seed {args.seed}, {counts['startups']:,} startups, {counts['milestones']:,} "
            f"milestones, {counts['measurements']:,} measurements, {counts['lessons']:,} lessons "
            f"(generated in {setup['seconds']} s).",
            "",
            *table,
            "",
            *details,
        ]
    )
    if not args.no_docs and not args.only:
        _update_docs(setup["database"], block)
        print(f"\nUpdated {DOCS.relative_to(ROOT)}.")
    if missed:
        print("\nBudgets missed:")
        for case, reasons in missed.items():
            print(f"  {CASES[case][0]}: {'; '.join(reasons)}")
        return 1
    print("\nAll budgets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

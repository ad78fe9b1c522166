"""The site under load at network scale: gunicorn on loopback, wrk, budgets.

    .ci/with-postgres.sh .venv/bin/python bench/load.py
    DATABASE_URL=postgres://USER@HOST:PORT/ANY .venv/bin/python bench/load.py --scale small

Builds a throwaway PostgreSQL database (as bench/reports.py does) with the
`network` preset of bench/datagen.py, times `manage.py import_betagouv` of the
real beta.gouv.fr folder into it, creates the public pages, then serves the
site with gunicorn (production settings, one worker per core) and loads each
key URL with wrk: 20 connections, 2 threads, 3 runs (medians). Twice: with
the public page cache off, then on. Also counts the SQL queries of each URL
in-process and times how long a startup's change takes to show on its
cached public page. Prints a table, rewrites its section of
docs/performance.md and exits 1 when a budget is missed.
"""

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.reports import ThrowawayDatabase, _child_env, _cpu_model  # noqa: E402

DOCS = ROOT / "docs" / "performance.md"
BETAGOUV = ROOT.parent / "shared" / "data" / "betagouv"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
SEED = 2026
CONNECTIONS, THREADS = 20, 2
DOCS_START, DOCS_END = "<!-- load:start -->", "<!-- load:end -->"
DOCS_HEADING = "## Load at network scale"

# Budgets (see bench/README.md).
UNCACHED_SHARE_OF_BARE_PAGE = 0.5
UNCACHED_P95_MS = 250
CACHED_SHARE_OF_MINIMAL = 0.7
CHANGE_VISIBLE_SECONDS = 1.0
QUERY_RUNS = 5  # in-process requests per URL for the query counts and times (median)
SMALL_SCALE = "small"  # the second, small database: queries per request must not grow


@dataclass(frozen=True)
class Target:
    """One URL under load. A "ceiling" is what no application page can beat."""

    key: str
    title: str
    ceiling: bool = False
    public: bool = False  # anonymous and cacheable: measured again with the page cache on
    as_coach: bool = False  # sent with the coach's session cookie


TARGETS = [
    Target("home", "Home page `/`", public=True),
    Target("directory", "Startup directory, page 1", public=True),
    Target("directory_filtered", "Startup directory, filtered (phase + incubator)", public=True),
    Target("startup", "A startup's public page", public=True),
    Target("lessons_search", "Lessons library, search", public=True),
    Target("api", "API `/api/v1/startups/`"),
    Target("board", "Cohort board `/espace/tableau/` (coach)", as_coach=True),
    Target("static", "Static CSS file (whitenoise)", ceiling=True),
    Target("minimal", "Minimal Django view", ceiling=True),
    Target("bare_page", "Bare Wagtail page (empty StandardPage)", ceiling=True),
]
BY_KEY = {target.key: target for target in TARGETS}
CACHED_RUN = [t.key for t in TARGETS if t.public] + ["minimal"]


# --- Workers (run in subprocesses, with Django) ---------------------------------------


def _django():
    import django

    django.setup()


def worker_build(out: Path, scale: str, seed: int) -> None:
    """Migrate the empty database and generate the network into it."""
    _django()
    from django.core.management import call_command
    from django.db import connection

    from bench.datagen import generate

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter() - started
    summary = generate(scale, seed=seed, log=lambda line: print(line, flush=True))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = "PostgreSQL " + cursor.fetchone()[0].split()[0]
    result = summary.as_dict() | {"database": version, "migrate_seconds": round(migrated, 1)}
    out.write_text(json.dumps(result))


def worker_prepare(out: Path) -> None:
    """The pages, the coach's session and the URL of each target."""
    _django()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    # What autovacuum does after a bulk load in production (the throwaway cluster runs
    # without it): planner statistics, and the visibility map for index-only scans.
    # Without them, PostgreSQL guessed row counts and picked plans 10 times slower.
    from django.db import connection
    from django.db.models import Count
    from django.templatetags.static import static

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.enums import Role
    from accounts.models import User
    from cms.demo import seed_demo_pages
    from cms.models import HomePage, LessonsLibraryPage, StandardPage, StartupDirectoryPage
    from incubator.enums import Phase
    from incubator.models import Incubator
    from incubator.search import LESSON_SEARCH_FIELDS, search
    from incubator.selectors import public_lessons, public_startups, startups_coached_by

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    # The demo's pages (about, programmes, news, featured startups), over the generated
    # network: the home page shows what it shows in production.
    seed_demo_pages()
    home = HomePage.objects.get(depth=2)
    bare = home.add_child(instance=StandardPage(title="Page nue", slug="bench-page-nue"))

    # The biggest incubator with coaches (the imported beta.gouv.fr ones have none).
    biggest = (
        Incubator.objects.filter(pk__in=Incubator.coaches.through.objects.values("incubator_id"))
        .annotate(size=Count("startups"))
        .order_by("-size", "pk")
        .first()
    )
    # The richest public page: the public startup with the most milestones.
    startup = (
        public_startups().annotate(n=Count("milestones")).order_by("-n", "pk").only("slug").first()
    )
    coach = max(
        User.objects.filter(role=Role.COACH, coached_incubators=biggest).order_by("pk"),
        key=lambda user: startups_coached_by(user=user).count(),
    )
    # What RequireMfaMiddleware asks of a coach: a TOTP authenticator.
    TOTP.activate(coach, generate_totp_secret())
    session = SessionStore()
    session[SESSION_KEY] = str(coach.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = coach.get_session_auth_hash()
    session.create()

    directory = StartupDirectoryPage.objects.live().get().url
    # Filters and a search that find something at every scale: an empty list skips the
    # queries of its rows, and the comparison with the small data set would be unfair.
    phases = Counter(public_startups().filter(incubator=biggest).values_list("phase", flat=True))
    phase = Phase.CONSTRUCTION if phases[Phase.CONSTRUCTION] else phases.most_common(1)[0][0]
    word = "budget"
    if not search(public_lessons(), word, LESSON_SEARCH_FIELDS).exists():
        title = public_lessons().order_by("-created", "-pk").values_list("title", flat=True)[0]
        word = max(title.split(), key=len)
    paths = {
        "home": home.url,
        "directory": directory,
        "directory_filtered": f"{directory}?phase={phase}&incubateur={biggest.slug}",
        "startup": f"{directory}{startup.slug}/",
        "lessons_search": LessonsLibraryPage.objects.live().get().url + f"?q={quote(word)}",
        "api": "/api/v1/startups/",
        "board": "/espace/tableau/",
        "static": static("dsfr/dist/dsfr.min.css"),
        "minimal": "/__bench__/minimal/",
        "bare_page": bare.url,
    }
    out.write_text(
        json.dumps(
            {
                "paths": paths,
                "session": session.session_key,
                "startup_pk": startup.pk,
                "coach_startups": startups_coached_by(user=coach).count(),
                "incubator_startups": biggest.size,
            }
        )
    )


def worker_queries(out: Path, paths: dict[str, str], session_key: str) -> None:
    """One request to each URL in-process: SQL queries and time, page cache off then on.

    Page cache off, twice: "warm" (the data caches and rendered fragments of
    `incubator.public_cache` are filled) and "after a change" (the public data version
    was just bumped, as any edit does: those caches are empty, the page builds all).
    """
    _django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from incubator.public_cache import bump

    anonymous = Client(SERVER_NAME="127.0.0.1")
    coach = Client(SERVER_NAME="127.0.0.1")
    coach.cookies[settings.SESSION_COOKIE_NAME] = session_key

    def count(key: str, *, after_change: bool = False) -> dict:
        client = coach if BY_KEY[key].as_coach else anonymous
        client.get(paths[key])  # warm: per-process caches, or the page cache
        times, counts, status = [], [], None
        for _ in range(QUERY_RUNS):
            if after_change:
                bump()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                status = client.get(paths[key]).status_code
                times.append(time.perf_counter() - started)
            counts.append(len(queries))
        return {
            "queries": max(counts),
            "ms": round(statistics.median(times) * 1000, 1),
            "status": status,
        }

    with override_settings(PUBLIC_PAGE_CACHE_SECONDS=0):
        results = {
            key: {"uncached": count(key), "after_change": count(key, after_change=True)}
            for key in paths
        }
    for key in CACHED_RUN:
        results[key]["cached"] = count(key)
    out.write_text(json.dumps(results))


def worker_change(out: Path, base_url: str, startup_pk: int, path: str) -> None:
    """Change a startup's pitch through the ORM, then poll its public page until it shows."""
    _django()
    from incubator.models import Startup

    def fetch() -> tuple[str, str]:
        _status, headers, body = _get(base_url, path)
        return headers.get("X-Cache", ""), body

    # Every worker has its own cache: enough requests that each has the page cached.
    before = [fetch()[0] for _ in range(4 * (os.cpu_count() or 1))]
    pitch = f"Pitch changé par le banc {secrets.token_hex(4)}"
    startup = Startup.objects.get(pk=startup_pk)
    changed = time.perf_counter()  # the save and its version bump count in the delay
    startup.pitch = pitch
    startup.save(update_fields=["pitch"])  # autocommit: the bump is committed with it
    delay, polls = None, 0
    while time.perf_counter() - changed < 10:
        polls += 1
        if pitch in fetch()[1]:
            delay = time.perf_counter() - changed
            break
        time.sleep(0.01)
    out.write_text(json.dumps({"seconds": delay, "polls": polls, "cached_before": before[-1]}))


# --- HTTP helpers ------------------------------------------------------------------------


def _get(base_url: str, path: str, cookie: str = "") -> tuple[int, dict, str]:
    """One GET, redirects not followed: (status, headers, body)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        return response.status, dict(response.getheaders()), body
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn_server(env: dict[str, str], log: Path):
    """Serve the site on a free loopback port; yields its base URL; stops the whole group."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={os.cpu_count() or 1}",
        f"--error-logfile={log}",
    ]
    with log.open("ab") as log_file:
        # Its own process group: stopping it takes the workers too, whatever happens here.
        server = subprocess.Popen(  # noqa: S603 - gunicorn with our arguments, no shell
            command, env=env, cwd=ROOT, stdout=log_file, stderr=log_file, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base_url, log)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_until_up(server: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            if _get(base_url, "/__bench__/minimal/")[0] == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within 60 s:\n{log.read_text()[-3000:]}")


def wrk_runs(url: str, *, cookie: str, duration: int, runs: int) -> dict:
    """`runs` wrk runs against one URL: medians of each figure, errors summed."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout=10s"]
    command += ["-s", str(WRK_SCRIPT)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    results = []
    for _run in range(runs):
        completed = subprocess.run(  # noqa: S603 - wrk with our arguments, no shell
            [*command, url], capture_output=True, text=True, check=True
        )
        last_line = completed.stdout.strip().splitlines()[-1]
        results.append(json.loads(last_line))
    median = {
        name: statistics.median(r[name] for r in results)
        for name in ("rps", "p50_ms", "p95_ms", "p99_ms")
    }
    errors = {
        name: sum(r[name] for r in results)
        for name in ("status", "connect", "read", "write", "timeout")
    }
    return median | {
        "requests": sum(r["requests"] for r in results),
        "errors": errors,
        "runs_rps": [r["rps"] for r in results],
    }


def load_server(base_url: str, keys, paths, *, cookie: str, duration: int, runs: int) -> dict:
    """Each URL: check it answers 200, warm it, then load it with wrk."""
    results = {}
    for key in keys:
        path, as_coach = paths[key], BY_KEY[key].as_coach
        status, headers, _body = _get(base_url, path, cookie if as_coach else "")
        if status != 200:  # wrk counts a redirect (to the login or MFA page) as a success
            location = f" to {headers['Location']}" if "Location" in headers else ""
            results[key] = {"failed": f"HTTP {status}{location} before the load"}
            print(f"  {key}: {results[key]['failed']}, not loaded", flush=True)
            continue
        for _ in range(2 * (os.cpu_count() or 1)):  # each worker imports and caches once
            _get(base_url, path, cookie if as_coach else "")
        results[key] = wrk_runs(
            base_url + path, cookie=cookie if as_coach else "", duration=duration, runs=runs
        )
        print(
            f"  {key}: {results[key]['rps']:.0f} req/s, p95 {results[key]['p95_ms']:.0f} ms",
            flush=True,
        )
    return results


# --- The parent: build, serve, load, report ---------------------------------------------


def count_queries(server_env_: dict[str, str], tmp: Path, name: str) -> dict:
    """The `queries` worker on the database of `server_env_` (prepared beforehand)."""
    prepared = json.loads((tmp / "prepare.json").read_text())
    out = tmp / f"queries-{name}.json"
    _run_worker(
        server_env_, "queries", str(out), json.dumps(prepared["paths"]), prepared["session"]
    )
    return json.loads(out.read_text())


def small_data_queries(base_url: str, seed: int, static_root: Path) -> dict:
    """The same URLs on a small generated database: their queries must not be fewer."""
    database = ThrowawayDatabase(base_url)
    try:
        env = _child_env(database.url)
        _run_worker(env, "build", str(database.tmpdir / "build.json"), SMALL_SCALE, str(seed))
        small_env = server_env(env, static_root, page_cache=True)
        _run_worker(small_env, "prepare", str(database.tmpdir / "prepare.json"))
        return count_queries(small_env, database.tmpdir, SMALL_SCALE)
    finally:
        database.drop()


def _run_worker(env, *args, timeout=3600) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    if subprocess.run(command, env=env, timeout=timeout, check=False).returncode:  # noqa: S603 - this script, no shell
        raise SystemExit(f"Worker {args[0]} failed (see above).")


def _manage(env, *args) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603 - manage.py, no shell


def time_betagouv_import(env) -> dict:
    """`manage.py import_betagouv` of the real folder, wall time including Django's start."""
    if not BETAGOUV.is_dir():
        return {"skipped": f"{BETAGOUV} absent"}
    started = time.perf_counter()
    completed = _manage(env, "import_betagouv", str(BETAGOUV), "-v0")
    seconds = time.perf_counter() - started
    if completed.returncode:
        print(completed.stdout[-2000:], completed.stderr[-2000:], sep="\n")
        return {"failed": f"exit {completed.returncode}", "seconds": round(seconds, 1)}
    return {"seconds": round(seconds, 1), "summary": completed.stdout.strip().splitlines()}


def server_env(env: dict[str, str], static_root: Path, *, page_cache: bool) -> dict[str, str]:
    """Production settings, made to answer on plain-HTTP loopback.

    `env` keeps its SECRET_KEY: the coach's session hash is signed with it.
    """
    env = dict(env)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # loopback has no TLS
        STATIC_ROOT=str(static_root),
        # The API's throttles (60 anonymous requests a minute) would answer wrk with 429s.
        API_THROTTLE_ANON="1000000/second",
        API_THROTTLE_USER="1000000/second",
    )
    if not page_cache:
        env["PUBLIC_PAGE_CACHE_SECONDS"] = "0"
    return env


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def _git_commit() -> str:
    """The checked-out commit, read from .git without running git."""
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:9]
        ref = head[5:]
        if (git / ref).exists():
            return (git / ref).read_text().strip()[:9]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:9]
    except OSError:
        pass
    return "unknown"


# --- Verdicts and the report --------------------------------------------------------------


def _errors(result: dict) -> int:
    return sum(result["errors"].values())


def verdict(key: str, cached: bool, result: dict, reference: dict | None) -> list[str]:
    """What this row misses; `reference` is the bare page (uncached) or the minimal view."""
    if "failed" in result:
        return [result["failed"]]
    missed = [f"{_errors(result)} errors"] if _errors(result) else []
    if BY_KEY[key].ceiling:
        return missed
    if not cached and result["p95_ms"] > UNCACHED_P95_MS:
        missed.append(f"p95 {result['p95_ms']:.0f} ms > {UNCACHED_P95_MS} ms")
    if reference is None or "failed" in reference:  # that row says why
        return missed
    share = result["rps"] / reference["rps"]
    if cached and share < CACHED_SHARE_OF_MINIMAL:
        missed.append(f"{share:.2f} × minimal view < {CACHED_SHARE_OF_MINIMAL}")
    if not cached and share < UNCACHED_SHARE_OF_BARE_PAGE:
        missed.append(f"{share:.2f} × bare page < {UNCACHED_SHARE_OF_BARE_PAGE}")
    return missed


def rows(runs: dict[str, dict]) -> list[tuple[str, bool, dict, list[str], str]]:
    """(key, cached, result, missed, ratio text) for every measured URL."""
    table = []
    for cached, results in ((False, runs["uncached"]), (True, runs["cached"])):
        minimal = results.get("minimal")
        for key, result in results.items():
            by_bare = not cached and not BY_KEY[key].ceiling
            reference = runs["uncached"].get("bare_page") if by_bare else minimal
            ratio = ""
            if "failed" not in result and reference and "failed" not in reference:
                name = "bare page" if by_bare else "minimal"
                ratio = f"{result['rps'] / reference['rps']:.2f} × {name}"
            table.append((key, cached, result, verdict(key, cached, result, reference), ratio))
    return table


def table_lines(runs: dict[str, dict], queries: dict) -> list[str]:
    lines = [
        "| URL | Page cache | req/s | p50 | p95 | p99 | Errors | Queries | Ratio | Budget |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, cached, result, missed, ratio in rows(runs):
        counted = queries[key]["cached" if cached else "uncached"]
        if counted["status"] != 200:  # a count that is not the page's
            counted = f"{counted['queries']} (HTTP {counted['status']})"
        else:
            counted = counted["queries"]
        budget = "**missed**: " + "; ".join(missed) if missed else "ok"
        title, cache = BY_KEY[key].title, "on" if cached else "off"
        if "failed" in result:
            lines.append(f"| {title} | {cache} | | | | | | {counted} | | {budget} |")
            continue
        lines.append(
            f"| {title} | {cache} | {result['rps']:.0f} | {result['p50_ms']:.0f} ms "
            f"| {result['p95_ms']:.0f} ms | {result['p99_ms']:.0f} ms | {_errors(result)} "
            f"| {counted} | {ratio} | {budget} |"
        )
    return lines


def queries_grow(queries: dict, small: dict) -> dict[str, str]:
    """URLs whose queries per request, after a change, exceed those on the small data set."""
    grown = {}
    for key, result in queries.items():
        network, few = result["after_change"]["queries"], small[key]["after_change"]["queries"]
        if network > few:
            grown[key] = f"queries grow with the data ({few} → {network})"
    return grown


def cost_lines(queries: dict, small: dict) -> list[str]:
    lines = [
        "| URL | Warm: time | Warm: queries | After a change: time | After a change: queries "
        f"| Queries on the `{SMALL_SCALE}` data set | Budget |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    grown = queries_grow(queries, small)
    for key, result in queries.items():
        warm, changed = result["uncached"], result["after_change"]
        few = small[key]["after_change"]["queries"]
        budget = f"**missed**: {grown[key]}" if key in grown else "ok"
        if changed["status"] != 200:
            budget = f"**missed**: HTTP {changed['status']}"
        lines.append(
            f"| {BY_KEY[key].title} | {warm['ms']:.1f} ms | {warm['queries']} "
            f"| {changed['ms']:.1f} ms | {changed['queries']} | {few} | {budget} |"
        )
    return lines


def change_missed(change: dict) -> list[str]:
    if change.get("seconds") is None:
        return ["change not visible after 10 s"]
    if change["seconds"] > CHANGE_VISIBLE_SECONDS:
        return [f"change visible after {change['seconds']:.2f} s > {CHANGE_VISIBLE_SECONDS} s"]
    return []


def update_docs(block: str) -> None:
    """Rewrite what lies between the load markers; add them at the end the first time."""
    text = DOCS.read_text()
    section = f"{DOCS_START}\n{block.strip()}\n{DOCS_END}"
    if DOCS_START in text and DOCS_END in text:
        before, rest = text.split(DOCS_START, 1)
        after = rest.split(DOCS_END, 1)[1]
        text = before + section + after
    else:
        # The heading outside the markers: bench/reports.py's section ends at the next "## ".
        text = text.rstrip("\n") + f"\n\n{DOCS_HEADING}\n\n{section}\n"
    DOCS.write_text(text)


def docs_block(setup, prepared, betagouv, runs, queries, small, change, args, seconds) -> str:
    counts = setup["counts"]
    minimal = [runs[name].get("minimal", {}).get("rps") for name in ("uncached", "cached")]
    minimal_text = " and ".join(f"{rps:.0f}" if rps else "?" for rps in minimal)
    imported = (
        f"{betagouv['seconds']} s" if "seconds" in betagouv and "failed" not in betagouv else None
    )
    import_text = imported or betagouv.get("failed") or betagouv.get("skipped")
    change_text = (
        f"{change['seconds'] * 1000:.0f} ms" if change.get("seconds") is not None else "never"
    )
    return "\n".join(
        [
            "`bench/load.py`: gunicorn (production settings, "
            f"{os.cpu_count()} sync workers) on loopback, wrk with {CONNECTIONS} connections "
            f"and {THREADS} threads, {args.runs} runs of {args.duration} s per URL (medians; "
            "errors summed); queries per request counted in-process on the same database. "
            "Page cache off means the whole-page cache of anonymous visitors is off; the "
            "data caches and rendered fragments of `incubator.public_cache` stay on (warm, "
            "as between two edits in production), and their cold cost is the second table. "
            "Budgets: no error; page cache off, ≥ "
            f"{UNCACHED_SHARE_OF_BARE_PAGE} × the bare Wagtail page's req/s and p95 ≤ "
            f"{UNCACHED_P95_MS} ms; page cache on, ≥ {CACHED_SHARE_OF_MINIMAL} × the "
            f"minimal view's req/s; a change visible within {CHANGE_VISIBLE_SECONDS:g} s.",
            "",
            f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit "
            f"{_git_commit()}, on {os.cpu_count()} CPUs ({_cpu_model()}), "
            f"{_memory_gb():.0f} GB RAM, Python {platform.python_version()}, "
            f"{setup['database']}; scale `{args.scale}`, seed {args.seed}: "
            f"{counts['startups']:,} startups, {counts['milestones']:,} milestones, "
            f"{counts['measurements']:,} measurements, {counts['lessons']:,} lessons, "
            f"{counts['territories']:,} territories, {counts['incubators']:,} incubators "
            f"(generated in {setup['seconds']} s), then the beta.gouv.fr import.",
            "",
            *table_lines(runs, queries),
            "",
            "What one request costs in-process (Django's test client, page cache off, median "
            f"of {QUERY_RUNS}): warm, and right after a change to the public data (every edit "
            "bumps the data version, which empties the caches of filter choices, figures, API "
            "pages and validators, and the rendered fragments (results, a startup's profile, "
            "the board): the next request builds them again). The same URLs on the "
            f"`{SMALL_SCALE}` data set must not run fewer queries.",
            "",
            *cost_lines(queries, small),
            "",
            f"- beta.gouv.fr import (`manage.py import_betagouv`, into the generated "
            f"network, Django's start included): {import_text}.",
            f"- A startup's new pitch (saved through the ORM) showed on its cached public "
            f"page after {change_text} ({change.get('polls', 0)} polls; the page was "
            f"served from the cache before: {change.get('cached_before') == 'hit'}).",
            f"- Board: the coach follows {prepared['coach_startups']:,} startups of an "
            f"incubator of {prepared['incubator_startups']:,}; the coach has a TOTP "
            "authenticator, as the MFA middleware requires. The API's throttles are raised "
            "for the load (`API_THROTTLE_ANON`/`_USER`).",
            f"- The minimal view answers {minimal_text} req/s with the page cache off and "
            "on (with it on, each process rereads the public data version at most every "
            "`PUBLIC_DATA_VERSION_MAX_AGE_MS`).",
            "- URLs: " + ", ".join(f"`{path}`" for path in prepared["paths"].values()) + ".",
            f"- The whole run took {seconds / 60:.0f} min.",
        ]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scale", default="network", help="a bench/datagen.py preset")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per URL (median)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:  # inside a subprocess
        action, *rest = args.worker
        if action == "build":
            worker_build(Path(rest[0]), rest[1], int(rest[2]))
        elif action == "prepare":
            worker_prepare(Path(rest[0]))
        elif action == "queries":
            worker_queries(Path(rest[0]), json.loads(rest[1]), rest[2])
        elif action == "change":
            worker_change(Path(rest[0]), rest[1], int(rest[2]), rest[3])
        return 0

    base_url = os.environ.get("DATABASE_URL", "")
    if not urlsplit(base_url).scheme.startswith("postgres"):
        raise SystemExit(
            "bench/load.py needs PostgreSQL: run it under .ci/with-postgres.sh "
            "or with DATABASE_URL=postgres://…"
        )
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make bench installs it).")

    started = time.perf_counter()
    database = ThrowawayDatabase(base_url)
    tmp = database.tmpdir
    env = _child_env(database.url)
    try:
        print(f"Throwaway database: {database.pg_name}", flush=True)
        _run_worker(env, "build", str(tmp / "build.json"), args.scale, str(args.seed))
        setup = json.loads((tmp / "build.json").read_text())
        print(
            f"{setup['database']}: migrated in {setup['migrate_seconds']} s, generated "
            f"{setup['counts']['startups']:,} startups in {setup['seconds']} s",
            flush=True,
        )
        betagouv = time_betagouv_import(env)
        print(f"beta.gouv.fr import: {betagouv}", flush=True)

        static_root = tmp / "static"
        static_env = env | {"STATIC_ROOT": str(static_root)}
        collected = _manage(static_env, "collectstatic", "--no-input", "-v0")
        if collected.returncode:
            raise SystemExit(f"collectstatic failed:\n{collected.stderr[-3000:]}")
        uncached_env = server_env(env, static_root, page_cache=False)
        cached_env = server_env(env, static_root, page_cache=True)
        _run_worker(cached_env, "prepare", str(tmp / "prepare.json"))
        prepared = json.loads((tmp / "prepare.json").read_text())
        paths = prepared["paths"]
        cookie = f"sessionid={prepared['session']}"

        print("Queries per request…", flush=True)
        queries = count_queries(cached_env, tmp, "network")

        runs, load = {}, {"cookie": cookie, "duration": args.duration, "runs": args.runs}
        print("Page cache off:", flush=True)
        with gunicorn_server(uncached_env, tmp / "gunicorn-uncached.log") as url:
            runs["uncached"] = load_server(url, [t.key for t in TARGETS], paths, **load)
        print("Page cache on:", flush=True)
        with gunicorn_server(cached_env, tmp / "gunicorn-cached.log") as url:
            runs["cached"] = load_server(url, CACHED_RUN, paths, **load)
            _run_worker(
                cached_env,
                "change",
                str(tmp / "change.json"),
                url,
                str(prepared["startup_pk"]),
                paths["startup"],
            )
        change = json.loads((tmp / "change.json").read_text())
        print(f"Queries per request on the `{SMALL_SCALE}` data set…", flush=True)
        small = small_data_queries(base_url, args.seed, static_root)
    finally:
        database.drop()

    print()
    print("\n".join(table_lines(runs, queries)))
    print()
    print("\n".join(cost_lines(queries, small)))
    seconds = time.perf_counter() - started
    block = docs_block(setup, prepared, betagouv, runs, queries, small, change, args, seconds)
    print("\n" + "\n".join(block.splitlines()[-7:]))
    if not args.no_docs:
        update_docs(block)
        print(f"\nUpdated {DOCS.relative_to(ROOT)}.")
    print(f"\nDone in {seconds:.0f} s.")
    missed = [
        f"{BY_KEY[key].title} (page cache {'on' if cached else 'off'}): {'; '.join(reasons)}"
        for key, cached, _result, reasons, _ratio in rows(runs)
        if reasons
    ]
    missed += [f"{BY_KEY[key].title}: {text}" for key, text in queries_grow(queries, small).items()]
    missed += change_missed(change)
    if "failed" in betagouv:
        missed.append(f"beta.gouv.fr import failed ({betagouv['failed']})")
    if missed:
        print("\nBudgets missed:\n  " + "\n  ".join(missed))
        return 1
    print("\nAll budgets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

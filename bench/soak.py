"""A soak on loopback: 20 clients for 10 minutes, and PostgreSQL restarted in the middle.

    flock /tmp/bench.lock .venv/bin/python bench/soak.py                           # 600 s
    flock /tmp/bench.lock .venv/bin/python bench/soak.py --fault postgres-restart
    flock /tmp/bench.lock .venv/bin/python bench/soak.py --duration 90 --clients 6  # a try

Builds its own throwaway PostgreSQL cluster (the soak stops and starts it, so it
cannot borrow one), with PostgreSQL's durable defaults (fsync, synchronous
commit: what "acknowledged" means in production), a seeded network from
bench/datagen.py and the demo's public pages. Gives each logged-in client an
account: agents log in with a password, coaches also with a TOTP code computed
from the authenticator created for them (the MFA middleware requires one; no
exemption). Serves the site with gunicorn (production settings, DEBUG off, 2 sync
workers) and runs `manage.py db_worker` under a supervisor that restarts it like
systemd's `Restart=always`.

The clients (threads with their own HTTP session) browse public pages, log in
and out, write (an agent logs a milestone, a coach records a committee) and ask
for reports. A write counts as acknowledged only when the site answered the
redirect that follows success. At the end: requests by status, every
acknowledged write looked up in the database, the reports generated, and the
RSS of each gunicorn worker and of the task worker every 30 s.

`--fault postgres-restart` stops PostgreSQL at mid-run for `--outage` seconds,
then starts it again. Meanwhile every request must get the 503 page
("Service momentanément indisponible"), and afterwards the site must work
again without anyone touching it.

Exits 1 when a check fails. Prints a Markdown summary (`--markdown FILE` keeps
it) and `--json FILE` keeps every figure.
"""

import argparse
import base64
import collections
import contextlib
import datetime
import hashlib
import hmac
import json
import os
import pwd
import random
import secrets
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.datagen import PRESETS  # noqa: E402
from bench.load import (  # noqa: E402
    _free_port,
    _get,
    _git_commit,
    _manage,
    _memory_gb,
    _wait_until_up,
    server_env,
)
from bench.reports import ThrowawayDatabase, _child_env, _cpu_model  # noqa: E402

SEED = 2026
# A modest network: enough startups for every client to write on its own one.
DATA = replace(
    PRESETS["small"],
    startups=400,
    milestones=2400,
    measurements=3200,
    lessons=300,
    territories=60,
    incubators=4,
)
GUNICORN_WORKERS = 2
SAMPLE_EVERY = 30  # seconds between two RSS samples
WARMUP = 60  # seconds: the RSS baseline is the first sample after this (imports, caches)
RSS_GROWTH_LIMIT = 0.10  # "flat": under 10 % from the baseline to the last sample
WORKER_RESTART_DELAY = 5  # seconds, as `RestartSec=5` in a systemd unit
RECOVERY_BUDGET = 5  # seconds after PostgreSQL accepts connections again
REQUEST_TIMEOUT = 30  # gunicorn's own worker timeout
DRAIN_SECONDS = 180  # to let the task worker finish the reports asked for
THINK = (0.5, 2.5)  # seconds a client waits between two actions
SESSION_ACTIONS = (30, 60)  # actions between a login and a logout
OUTAGE_PAGE = "Service momentanément indisponible"
PARIS = ZoneInfo("Europe/Paris")  # TIME_ZONE: a committee may not be dated after today there
LOGIN, LOGOUT = "/comptes/login/", "/comptes/logout/"


# --- Workers (run in subprocesses, with Django) ---------------------------------------


def _django():
    import django

    django.setup()


def worker_build(out: Path, agents: int, coaches: int, seed: int) -> None:
    """Migrate, generate the network and the public pages, create the clients' accounts."""
    _django()
    from django.core.management import call_command
    from django.db import connection

    from bench.datagen import generate
    from cms.demo import seed_demo_pages

    call_command("migrate", verbosity=0, interactive=False)
    summary = generate(DATA, seed=seed)
    seed_demo_pages()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
        cursor.execute("SHOW server_version")
        version = "PostgreSQL " + cursor.fetchone()[0].split()[0]
    out.write_text(
        json.dumps(
            {
                "database": version,
                "counts": summary.as_dict()["counts"],
                "accounts": _accounts(agents, coaches),
                "public_paths": _public_paths(),
            }
        )
    )


def _accounts(agents: int, coaches: int) -> list[dict]:
    """Agents on a running startup each (which they may edit and report on), and coaches
    with the running startups they may hold a committee for; passwords, verified e-mails,
    and a TOTP authenticator for the coaches (required of them by the MFA middleware)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.enums import Role
    from accounts.models import User
    from incubator.enums import TERMINAL_PHASES, ReportKind
    from incubator.permissions import can_decide_phase, can_edit_startup
    from incubator.selectors import report_subjects_for, startups_coached_by

    def running(startups):
        return startups.exclude(phase__in=TERMINAL_PHASES).order_by("pk")

    accounts, taken = [], set()
    for user in User.objects.filter(role=Role.AGENT).order_by("pk"):
        if len(accounts) == agents:
            break
        mine = running(report_subjects_for(ReportKind.STARTUP, user=user)).exclude(pk__in=taken)
        startup = next((s for s in mine if can_edit_startup(user, s)), None)
        if startup is not None:
            taken.add(startup.pk)
            accounts.append({"user": user, "role": "agent", "startups": [startup.slug]})
    for user in User.objects.filter(role=Role.COACH).order_by("pk"):
        if len(accounts) == agents + coaches:
            break
        reportable = report_subjects_for(ReportKind.STARTUP, user=user)
        decidable = [
            s.slug
            for s in running(startups_coached_by(user=user).filter(pk__in=reportable))[:20]
            if s.pk not in taken and can_decide_phase(user, s)
        ][:8]
        if decidable:
            accounts.append({"user": user, "role": "coach", "startups": decidable})
    if len(accounts) < agents + coaches:
        raise SystemExit(f"Only {len(accounts)} accounts found for {agents + coaches} clients.")

    result = []
    for account in accounts:
        user, password = account.pop("user"), secrets.token_urlsafe(16)
        user.set_password(password)
        user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        totp = ""
        if account["role"] == "coach":
            totp = generate_totp_secret()
            TOTP.activate(user, totp)
        result.append(account | {"email": user.email, "password": password, "totp": totp})
    return result


def _public_paths() -> list[str]:
    """What an anonymous visitor reads: home, directory (plain, filtered), startups,
    lessons (plain, searched), the other public pages, the open-data API."""
    from wagtail.models import Page

    from cms.models import LessonsLibraryPage, StartupDirectoryPage
    from incubator.selectors import public_startups

    directory = StartupDirectoryPage.objects.live().get().url
    lessons = LessonsLibraryPage.objects.live().get().url
    startups = public_startups().order_by("pk").values_list("slug", flat=True)[:25]
    pages = Page.objects.live().public().filter(depth__gte=2).order_by("path")[:15]
    return sorted(
        {
            *(page.url for page in pages if page.url),
            f"{directory}?phase=construction",
            f"{lessons}?q=budget",
            *(f"{directory}{slug}/" for slug in startups),
            "/api/v1/startups/",
        }
    )


def worker_verify(out: Path, acks_path: Path, drain: int) -> None:
    """Let the task worker finish the reports, then look up every write in the database."""
    _django()
    from django.db.models import Count
    from django.utils import timezone

    from incubator.enums import ReportKind, ReportStatus
    from incubator.models import Milestone, Report, Review
    from incubator.services.reports import REPORT_STALE_AFTER, reports_recover

    attempts = json.loads(acks_path.read_text())
    pending = Report.objects.filter(status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING])

    def wait() -> None:
        deadline = time.monotonic() + drain
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(2)

    wait()
    recovered = {"requeued": 0, "failed": 0}
    if pending.exists():
        # A report whose worker died with PostgreSQL stays "running" until `recover_reports`
        # (every 5 minutes in production) finds it silent for REPORT_STALE_AFTER: what that
        # run does then, without waiting 10 minutes.
        recovered = reports_recover(now=timezone.now() + REPORT_STALE_AFTER)
        wait()

    # The reports the soak asked for, by "slug|start|end" (the key its clients recorded).
    reports = collections.defaultdict(list)
    startup_reports = Report.objects.filter(kind=ReportKind.STARTUP, is_public=False)
    for report in startup_reports.select_related("startup"):
        reports[f"{report.startup.slug}|{report.period_start}|{report.period_end}"].append(report)

    def found(kind: str, keys: list) -> dict:
        if kind == "milestone":
            rows = Milestone.objects.filter(title__in=keys).values("title")
            return {r["title"]: r["n"] for r in rows.annotate(n=Count("pk"))}
        if kind == "review":
            rows = Review.objects.filter(notes__in=keys).values("notes")
            return {r["notes"]: r["n"] for r in rows.annotate(n=Count("pk"))}
        return {key: len(reports[key]) for key in keys}

    writes = {}
    for kind in ("milestone", "review", "report"):
        mine = [a for a in attempts if a["kind"] == kind]
        counts = found(kind, [a["key"] for a in mine])
        acked = [a["key"] for a in mine if a["outcome"] == "acknowledged"]
        unacked = [a for a in mine if a["outcome"] != "acknowledged"]
        writes[kind] = {
            "attempted": len(mine),
            "acknowledged": len(acked),
            "found": sum(1 for key in acked if counts.get(key)),
            "lost": [key for key in acked if not counts.get(key)],
            "duplicated": [key for key, n in counts.items() if n > 1],
            "refused": sum(1 for a in unacked if a["outcome"] == "refused"),
            "rejected": sum(1 for a in unacked if a["outcome"] == "rejected"),
            "unanswered": sum(1 for a in unacked if a["outcome"] == "unanswered"),
            "unacknowledged_but_stored": sum(1 for a in unacked if counts.get(a["key"])),
        }
    acked_reports = [
        report
        for a in attempts
        if a["kind"] == "report" and a["outcome"] == "acknowledged"
        for report in reports[a["key"]]
    ]
    done = [r for r in acked_reports if r.status == ReportStatus.DONE]
    storage = Report._meta.get_field("pdf").storage
    referenced = set(Report.objects.exclude(pdf="").values_list("pdf", flat=True))
    on_disk = (
        {f"reports/{name}" for name in storage.listdir("reports")[1]}
        if storage.exists("reports")
        else set()
    )
    out.write_text(
        json.dumps(
            {
                "writes": writes,
                "reports": {
                    "statuses": dict(collections.Counter(r.status for r in acked_reports)),
                    "retried": sum(1 for r in done if r.attempts > 1),
                    "failed_reasons": [r.error for r in acked_reports if r.error][:5],
                    "recovered": recovered,
                    "missing_files": [
                        r.pk for r in done if not (r.pdf and storage.exists(r.pdf.name))
                    ],
                    "orphan_files": len(on_disk - referenced),
                },
            }
        )
    )


# --- PostgreSQL, gunicorn, the task worker ----------------------------------------------


class Cluster:
    """A throwaway PostgreSQL cluster that the soak may stop and start.

    PostgreSQL's defaults for durability (fsync, synchronous commit, full-page writes),
    unlike .ci/with-postgres.sh which trades them for speed: an acknowledged commit must
    survive the restart. PostgreSQL refuses to run as root: as root, `postgres` owns it.
    """

    def __init__(self):
        versions = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
        )
        if not versions:
            raise SystemExit("PostgreSQL is missing: apt-get install -y postgresql")
        self.bin = versions[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="soak-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = _free_port()
        self.run_as = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                command = ["/usr/sbin/useradd", "--system", "--no-create-home", "postgres"]
                subprocess.run(command, check=True)  # noqa: S603 - fixed useradd call
            shutil.chown(self.dir, "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self._pg(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip
        banner = self._pg("postgres", "--version").stdout  # "postgres (PostgreSQL) 15.8 (…)"
        self.version = banner.split()[2]

    def _pg(self, program: str, *args: str) -> subprocess.CompletedProcess:
        command = [*self.run_as, str(self.bin / program), *args]
        return subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603 - PostgreSQL tools, no shell

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def _children(pid: int) -> list[int]:
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        return []


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path):
    """Serve the site with 2 sync workers; yields (base URL, master process)."""
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        f"--bind=127.0.0.1:{port}", f"--workers={GUNICORN_WORKERS}", f"--error-logfile={log}",
    ]  # fmt: skip
    with log.open("ab") as log_file:
        server = subprocess.Popen(  # noqa: S603 - gunicorn with our arguments, no shell
            command, env=env, cwd=ROOT, stdout=log_file, stderr=log_file, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base_url, log)
        yield base_url, server
    finally:
        _stop_group(server)


def _stop_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class SupervisedWorker(threading.Thread):
    """`manage.py db_worker`, restarted when it exits, as systemd's `Restart=always`."""

    def __init__(self, env: dict[str, str], log: Path, clock):
        super().__init__(daemon=True)
        self.env, self.log, self.clock = env, log, clock
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None
        self.exits: list[dict] = []  # when and how it stopped, while it should have run

    def run(self) -> None:
        # No --max-tasks (production has it): the RSS samples then follow one process all along.
        command = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload", "-v1"]
        while not self.stopping.is_set():
            with self.log.open("ab") as log_file:
                self.process = subprocess.Popen(  # noqa: S603 - our task worker, no shell
                    command, env=self.env, cwd=ROOT, stdout=log_file, stderr=log_file,
                    start_new_session=True,
                )  # fmt: skip
            code = self.process.wait()
            if self.stopping.is_set():
                return
            self.exits.append({"t": round(self.clock(), 1), "code": code})
            self.stopping.wait(WORKER_RESTART_DELAY)

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None:
            _stop_group(self.process)
        self.join()


# --- The clients ---------------------------------------------------------------------------


def totp_code(secret: str, counter: int) -> str:
    """RFC 6238 with allauth's defaults (SHA-1, 6 digits, 30 s), as an authenticator app."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**6:06d}"


class Unexpected(Exception):
    """An answer the flow did not expect: the client starts over, as a person would."""

    def __init__(self, action: str, status):
        super().__init__(f"{action}: {status}")
        self.status = status  # an HTTP status, or the name of the error (no answer)


class Recorder:
    """Every request of every client, and every write attempted, with its outcome."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.requests: list[tuple] = []  # (t, role, action, status, seconds, clean 503)
        self.writes: list[dict] = []
        self.samples: dict[str, str] = {}  # the first body of each unexpected status

    def clock(self) -> float:
        return time.monotonic() - self.started

    def request(self, role, action, status, seconds, body="") -> None:
        clean = None
        if status == 503:
            clean = OUTAGE_PAGE in body and "Traceback" not in body
        with self.lock:
            self.requests.append((round(self.clock(), 2), role, action, status, seconds, clean))
            if isinstance(status, int) and status >= 500 and status != 503:
                self.samples.setdefault(f"{status} {action}", body[:2000])

    def write(self, kind: str, key: str, outcome: str) -> None:
        with self.lock:
            self.writes.append({"kind": kind, "key": key, "outcome": outcome, "t": self.clock()})


class Client(threading.Thread):
    """One person: a visitor browsing, or an agent or coach who logs in and works."""

    def __init__(self, index, account, base_url, paths, recorder, stopping, run_id):
        super().__init__(daemon=True, name=f"client-{index}")
        self.index, self.account, self.base_url, self.paths = index, account, base_url, paths
        self.role = account["role"] if account else "visitor"
        self.recorder, self.stopping, self.run_id = recorder, stopping, run_id
        self.rng = random.Random(f"{run_id}-{index}")  # noqa: S311 - a load mix, not a secret
        self.http = requests.Session()
        self.writes = 0
        self.last_totp_counter = None

    # -- HTTP -----------------------------------------------------------------------------

    def call(self, action, method, path, *, data=None, expect=(200,)) -> requests.Response:
        headers = {}
        if method == "POST":
            headers["X-CSRFToken"] = self.http.cookies.get("csrftoken", "")
        started = time.monotonic()
        try:
            response = self.http.request(
                method,
                self.base_url + path,
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
            )
        except requests.RequestException as error:
            status = type(error).__name__
            self.recorder.request(self.role, action, status, time.monotonic() - started)
            raise Unexpected(action, status) from error
        body = response.text if response.status_code >= 500 else ""
        self.recorder.request(
            self.role, action, response.status_code, time.monotonic() - started, body
        )
        if response.status_code not in expect:
            raise Unexpected(action, response.status_code)
        return response

    def write(self, kind, key, action, path, data, expect_location) -> None:
        """A POST whose success is a redirect to `expect_location`: only that acknowledges it."""
        try:
            response = self.call(action, "POST", path, data=data, expect=(302,))
        except Unexpected as error:
            if not isinstance(error.status, int):
                outcome = "unanswered"  # written or not: nobody knows, it is not counted
            elif error.status >= 500:
                outcome = "refused"
            else:
                outcome = "rejected"  # a form error, a permission: a bug of the soak or the site
            self.recorder.write(kind, key, outcome)
            raise
        location = response.headers.get("Location")
        if location != expect_location:
            self.recorder.write(kind, key, "rejected")
            raise Unexpected(action, f"redirected to {location}")
        self.recorder.write(kind, key, "acknowledged")

    def pause(self, low=THINK[0], high=THINK[1]) -> None:
        self.stopping.wait(self.rng.uniform(low, high))

    # -- Flows ------------------------------------------------------------------------------

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if self.account is None:
                    self.browse()
                else:
                    self.work_session()
            except Unexpected:
                # Start over with a fresh session after a short while, as a person would.
                self.http.cookies.clear()
                self.pause(1, 3)

    def browse(self) -> None:
        self.call("public page", "GET", self.rng.choice(self.paths))
        self.pause()

    def work_session(self) -> None:
        self.login()
        actions = self.rng.randint(*SESSION_ACTIONS)
        for _ in range(actions):
            if self.stopping.is_set():
                return
            self.pause()
            try:
                self.act()
            except Unexpected as error:
                if error.status != 503:
                    raise
                # The outage page: a person tries again a moment later, still logged in.
        self.pause()
        self.call("logout", "POST", LOGOUT, expect=(302,))
        self.http.cookies.clear()
        self.pause()

    def login(self) -> None:
        self.call("login page", "GET", LOGIN)
        credentials = {"login": self.account["email"], "password": self.account["password"]}
        response = self.call("login", "POST", LOGIN, data=credentials, expect=(302,))
        if not self.account["totp"]:
            return
        mfa = response.headers["Location"]
        self.call("mfa page", "GET", mfa)
        counter = int(time.time()) // 30
        if counter == self.last_totp_counter:  # a code is accepted once: wait for the next
            self.stopping.wait(30 - time.time() % 30 + 0.5)
            counter = int(time.time()) // 30
        self.last_totp_counter = counter
        self.call(
            "mfa",
            "POST",
            mfa,
            data={"code": totp_code(self.account["totp"], counter)},
            expect=(302,),
        )

    def act(self) -> None:
        slug = self.rng.choice(self.account["startups"])
        startup = f"/espace/startups/{slug}/"
        weights = (
            {"startup": 4, "public": 3, "milestone": 2, "report": 1, "reports": 1}
            if self.role == "agent"
            else {"board": 3, "startup": 3, "public": 2, "review": 1, "report": 1}
        )
        action = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        if action == "startup":
            self.call("workspace startup page", "GET", startup)
        elif action == "board":
            self.call("coach board", "GET", "/espace/tableau/")
        elif action == "reports":
            self.call("reports page", "GET", "/espace/rapports/")
        elif action == "public":
            self.call("public page", "GET", self.rng.choice(self.paths))
        elif action == "milestone":
            title = f"Jalon {self.run_id}-{self.index}-{self.writes}"
            self.writes += 1
            form = f"{startup}jalons/nouveau/"
            self.call("milestone form", "GET", form)
            self.pause()  # filling the form in
            data = {
                "title": title,
                "description": "Écrit par le banc d’endurance.",
                "status": "planned",
            }
            self.write("milestone", title, "milestone write", form, data, startup)
        elif action == "review":
            token = f"Comité {self.run_id}-{self.index}-{self.writes}"
            self.writes += 1
            form = f"{startup}comite/nouveau/"
            self.call("committee form", "GET", form)
            self.pause()
            data = {
                "date": datetime.datetime.now(PARIS).date().isoformat(),  # the site's day
                "decision": "continue",
                "participants": "Banc d’endurance",
                "notes": token,
            }
            self.write("review", token, "committee write", form, data, startup)
        else:
            # A new period each time: the same request again would return the pending one.
            start = datetime.date(2021, 1, 1) + datetime.timedelta(days=self.index)
            end = start + datetime.timedelta(days=60 + self.writes)
            self.writes += 1
            page = f"/espace/rapports/startup/{slug}/"
            self.call("report page", "GET", page)
            self.pause()
            data = {
                "year": "",
                "start": start.isoformat(),
                "end": end.isoformat(),
                "version": "internal",
            }
            self.write("report", f"{slug}|{start}|{end}", "report request", page, data, page)


# --- The parent: build, serve, load, check ------------------------------------------------


class Sampler(threading.Thread):
    """Every SAMPLE_EVERY seconds, the RSS of each gunicorn worker and of the task worker."""

    def __init__(self, master: subprocess.Popen, worker: SupervisedWorker, recorder, stopping):
        super().__init__(daemon=True)
        self.master, self.worker, self.recorder, self.stopping = master, worker, recorder, stopping
        self.samples: list[dict] = []

    def sample(self) -> None:
        processes = {f"gunicorn {pid}": pid for pid in sorted(_children(self.master.pid))}
        if self.worker.process is not None:
            processes[f"db_worker {self.worker.process.pid}"] = self.worker.process.pid
        rss = {name: _rss_mb(pid) for name, pid in processes.items()}
        self.samples.append(
            {"t": round(self.recorder.clock()), "rss": {k: v for k, v in rss.items() if v}}
        )

    def run(self) -> None:
        self.sample()
        while not self.stopping.wait(SAMPLE_EVERY):
            self.sample()


def postgres_restart(cluster: Cluster, at: float, outage: float, mode: str, recorder, timeline):
    """Stop PostgreSQL at `at` seconds, start it again `outage` seconds later."""
    time.sleep(max(0.0, at - recorder.clock()))
    timeline["stop_requested"] = recorder.clock()
    cluster.stop(mode)
    timeline["stopped"] = recorder.clock()
    time.sleep(outage)
    timeline["start_requested"] = recorder.clock()
    cluster.start()  # -w: returns once it accepts connections
    timeline["accepting"] = recorder.clock()


def _run_worker(env, *args) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    if subprocess.run(command, env=env, timeout=3600, check=False).returncode:  # noqa: S603 - this script, no shell
        raise SystemExit(f"Worker {args[0]} failed (see above).")


def check_pages(base_url: str, paths: list[str]) -> list[str]:
    """Keep the public paths that answer 200 (twice per worker, which also warms them)."""
    kept = []
    for path in paths:
        statuses = {_get(base_url, path)[0] for _ in range(2 * GUNICORN_WORKERS)}
        if statuses == {200}:
            kept.append(path)
        else:
            print(f"  left out {path}: HTTP {sorted(statuses)}", flush=True)
    return kept


def soak(args, cluster: Cluster) -> dict:
    database = ThrowawayDatabase(cluster.url())
    tmp = database.tmpdir
    env = _child_env(database.url)
    env.update(
        PRIVATE_MEDIA_ROOT=str(tmp / "private"),
        MEDIA_ROOT=str(tmp / "media"),
        # Loopback has no TLS and no mail server: cookies without `Secure`, e-mails dropped.
        SECURE_COOKIES="0",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    agents = round(args.clients * 0.4)
    coaches = round(args.clients * 0.3)
    try:
        print(f"Throwaway database {database.pg_name} on PostgreSQL {cluster.version}…", flush=True)
        _run_worker(
            env, "build", str(tmp / "build.json"), str(agents), str(coaches), str(args.seed)
        )
        setup = json.loads((tmp / "build.json").read_text())
        static_root = tmp / "static"
        collected = _manage(
            env | {"STATIC_ROOT": str(static_root)}, "collectstatic", "--no-input", "-v0"
        )
        if collected.returncode:
            raise SystemExit(f"collectstatic failed:\n{collected.stderr[-3000:]}")
        served = server_env(env, static_root, page_cache=True)

        recorder = Recorder()
        stopping = threading.Event()
        worker = SupervisedWorker(served, tmp / "db_worker.log", recorder.clock)
        with gunicorn(served, tmp / "gunicorn.log") as (base_url, master):
            paths = check_pages(base_url, setup["public_paths"])
            worker.start()
            accounts = setup["accounts"] + [None] * (args.clients - len(setup["accounts"]))
            run_id = secrets.token_hex(3)
            recorder.started = time.monotonic()
            clients = [
                Client(i, account, base_url, paths, recorder, stopping, run_id)
                for i, account in enumerate(accounts)
            ]
            sampler = Sampler(master, worker, recorder, stopping)
            timeline = {}
            fault = None
            if args.fault == "postgres-restart":
                fault = threading.Thread(
                    target=postgres_restart,
                    args=(
                        cluster,
                        args.duration / 2,
                        args.outage,
                        args.pg_stop_mode,
                        recorder,
                        timeline,
                    ),
                    daemon=True,
                )
                fault.start()
            sampler.start()
            for client in clients:
                client.start()
            print(f"{len(clients)} clients for {args.duration} s on {base_url}…", flush=True)
            while recorder.clock() < args.duration:
                time.sleep(min(30, args.duration - recorder.clock() + 0.1))
                print(f"  {recorder.clock():.0f} s: {len(recorder.requests)} requests", flush=True)
            stopping.set()
            for client in clients:
                client.join(timeout=REQUEST_TIMEOUT + 5)
            if fault is not None:
                fault.join()
            sampler.sample()  # the last one, right at the end
            sampler.join()
            gunicorn_errors = (tmp / "gunicorn.log").read_text(errors="replace")

        (tmp / "writes.json").write_text(json.dumps(recorder.writes))
        print("Waiting for the reports, then looking up every write…", flush=True)
        _run_worker(
            served, "verify", str(tmp / "verify.json"), str(tmp / "writes.json"), str(DRAIN_SECONDS)
        )
        worker.stop()
        verified = json.loads((tmp / "verify.json").read_text())
        worker_log = (tmp / "db_worker.log").read_text(errors="replace")
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for name in ("gunicorn.log", "db_worker.log"):
                shutil.copy(tmp / name, args.logs / name)
    finally:
        with contextlib.suppress(Exception):
            database.drop()
    return {
        "setup": setup,
        "requests": recorder.requests,
        "samples": sampler.samples,
        "bodies": recorder.samples,
        "timeline": timeline,
        "worker_exits": worker.exits,
        "verified": verified,
        "gunicorn_log": {
            "503 warnings": gunicorn_errors.count("Database unavailable, 503"),
            "500 logged (then answered 503)": gunicorn_errors.count("Internal Server Error:"),
            "tracebacks": gunicorn_errors.count("Traceback (most recent call last)"),
            "worker timeouts": gunicorn_errors.count("WORKER TIMEOUT"),
        },
        "worker_log_errors": worker_log.count("Traceback"),
        "paths": paths,
    }


# --- Figures, checks, report --------------------------------------------------------------


def _status_class(status) -> str:
    if not isinstance(status, int):
        return "no answer"
    return f"{status // 100}xx" if status != 503 else "503"


def by_status(requests_: list) -> dict:
    return dict(sorted(collections.Counter(str(r[3]) for r in requests_).items()))


def by_action(requests_: list) -> list[dict]:
    rows = collections.defaultdict(list)
    for _t, _role, action, status, seconds, _clean in requests_:
        rows[action].append((status, seconds))
    table = []
    for action, items in sorted(rows.items()):
        classes = collections.Counter(_status_class(status) for status, _ in items)
        times = sorted(seconds for _, seconds in items)
        table.append(
            {
                "action": action,
                "requests": len(items),
                "classes": dict(classes),
                "p50_ms": statistics.median(times) * 1000,
                "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
            }
        )
    return table


def rss_series(samples: list[dict]) -> dict[str, list[tuple[int, float]]]:
    series = collections.defaultdict(list)
    for sample in samples:
        for name, mb in sample["rss"].items():
            series[name].append((sample["t"], mb))
    return dict(series)


def rss_growth(series: dict) -> dict[str, dict]:
    """Per process: the first sample after WARMUP seconds of its life, against its last."""
    result = {}
    for name, points in series.items():
        born = points[0][0]
        after = [p for p in points if p[0] >= max(WARMUP, born + WARMUP)]
        if len(after) < 2:
            result[name] = {"points": len(points), "growth": None}
            continue
        (t0, first), (t1, last) = after[0], after[-1]
        # The second half alone: a leak keeps its pace, a warming cache slows down.
        middle = next(mb for t, mb in after if t >= (t0 + t1) / 2)
        result[name] = {
            "from_t": t0, "to_t": t1, "first_mb": first, "last_mb": last,
            "max_mb": max(mb for _, mb in points), "growth": (last - first) / first,
            "second_half_growth": (last - middle) / middle,
        }  # fmt: skip
    return result


def checks(result: dict, args) -> list[tuple[str, bool, str]]:
    """(check, passed, detail) for every point of the issue."""
    requests_ = result["requests"]
    timeline = result["timeline"]
    found = []
    server_errors = [r for r in requests_ if isinstance(r[3], int) and r[3] >= 500]
    no_answer = [r for r in requests_ if not isinstance(r[3], int)]
    if args.fault is None:
        found.append(("Zero 5xx", not server_errors, f"{len(server_errors)} responses ≥ 500"))
    else:
        other = [r for r in server_errors if r[3] != 503]
        unclean = [r for r in requests_ if r[3] == 503 and not r[5]]
        found.append(("No 5xx other than 503", not other, f"{len(other)}"))
        found.append(("Every 503 is the French outage page", not unclean, f"{len(unclean)} not"))
        if "accepting" in timeline:
            window = (timeline["stop_requested"], timeline["accepting"] + RECOVERY_BUDGET)
            outside = [r for r in requests_ if r[3] == 503 and not window[0] <= r[0] <= window[1]]
            found.append(
                (
                    f"503 only while PostgreSQL is down (and ≤ {RECOVERY_BUDGET} s after)",
                    not outside,
                    f"{len(outside)} outside [{window[0]:.1f} s, {window[1]:.1f} s]",
                )
            )
            after = [r for r in requests_ if r[0] > window[1]]
            ok_after = [r for r in after if isinstance(r[3], int) and r[3] < 500]
            found.append(
                (
                    "The site recovers by itself",
                    bool(ok_after) and len(ok_after) == len(after),
                    f"{len(ok_after)} of {len(after)} requests fine after recovery",
                )
            )
    found.append(("Every request answered", not no_answer, f"{len(no_answer)} without answer"))
    writes = result["verified"]["writes"]
    lost = sum(len(w["lost"]) for w in writes.values())
    duplicated = sum(len(w["duplicated"]) for w in writes.values())
    acked = sum(w["acknowledged"] for w in writes.values())
    found.append(
        ("Zero lost writes", lost == 0 and acked > 0, f"{lost} lost of {acked} acknowledged")
    )
    found.append(("No write stored twice", duplicated == 0, f"{duplicated}"))
    rejected = sum(w["rejected"] for w in writes.values())
    found.append(("No write refused by a form or a permission", rejected == 0, f"{rejected}"))
    reports = result["verified"]["reports"]
    statuses = reports["statuses"]
    not_done = {k: v for k, v in statuses.items() if k != "done"}
    found.append(
        (
            "Every acknowledged report generated",
            not not_done and not reports["missing_files"],
            f"{statuses.get('done', 0)} done; others {not_done or 'none'}; "
            f"{len(reports['missing_files'])} files missing",
        )
    )
    growth = rss_growth(rss_series(result["samples"]))
    measured = {k: v for k, v in growth.items() if v["growth"] is not None}
    worst = max(measured.items(), key=lambda kv: kv[1]["growth"], default=None)
    found.append(
        (
            f"Memory flat (RSS growth < {RSS_GROWTH_LIMIT:.0%} after {WARMUP} s)",
            bool(measured) and all(v["growth"] < RSS_GROWTH_LIMIT for v in measured.values()),
            f"worst {worst[0]}: {worst[1]['growth']:+.1%}" if worst else "no samples",
        )
    )
    exits = result["worker_exits"]
    if args.fault is None:
        found.append(("Task worker never stopped", not exits, f"{len(exits)} exits"))
    return found


def fault_text(t: dict, requests_: list, args) -> str:
    """When PostgreSQL stopped and came back, and what the clients saw meanwhile."""
    text = (
        f"Fault: `pg_ctl stop -m {args.pg_stop_mode}` asked at {t['stop_requested']:.1f} s, "
        f"stopped at {t['stopped']:.1f} s; `pg_ctl start` asked at {t['start_requested']:.1f} s, "
        f"accepting connections at {t['accepting']:.1f} s."
    )
    unavailable = [r[0] for r in requests_ if r[3] == 503]
    if unavailable:
        text += (
            f" {len(unavailable)} answers 503, from {unavailable[0]:.1f} s to "
            f"{unavailable[-1]:.1f} s."
        )
    first_ok = next(
        (r[0] for r in requests_ if r[0] > t["accepting"] and isinstance(r[3], int) and r[3] < 500),
        None,
    )
    if first_ok is not None:
        text += f" First good answer after the restart at {first_ok:.1f} s."
    return text


def markdown(result: dict, args, seconds: float) -> str:
    setup, requests_ = result["setup"], result["requests"]
    counts = setup["counts"]
    lines = [
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {_git_commit()}, "
        f"{os.cpu_count()} CPUs ({_cpu_model()}), {_memory_gb():.0f} GB RAM, {setup['database']}; "
        f"`bench/soak.py --duration {args.duration} --clients {args.clients}"
        + (f" --fault {args.fault}" if args.fault else "")
        + f"` ({seconds / 60:.0f} min in all). Data: {counts['startups']:,} startups, "
        f"{counts['milestones']:,} milestones, {counts['lessons']:,} lessons "
        f"(seed {args.seed}); {len(result['paths'])} public URLs.",
        "",
        "| Status | Requests |",
        "| --- | --- |",
        *(f"| {status} | {n:,} |" for status, n in by_status(requests_).items()),
        f"| **all** | **{len(requests_):,}** ({len(requests_) / args.duration:.1f}/s) |",
        "",
        "| Action | Requests | 2xx | 3xx | 4xx | 503 | other 5xx | no answer | p50 | p95 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in by_action(requests_):
        c = row["classes"]
        other = sum(v for k, v in c.items() if k == "5xx")
        lines.append(
            f"| {row['action']} | {row['requests']:,} | {c.get('2xx', 0):,} | {c.get('3xx', 0):,} "
            f"| {c.get('4xx', 0)} | {c.get('503', 0)} | {other} | {c.get('no answer', 0)} "
            f"| {row['p50_ms']:.0f} ms | {row['p95_ms']:.0f} ms |"
        )
    lines += [
        "",
        "| Write | Attempted | Acknowledged | Found | Lost | Stored twice | Refused (503) "
        "| No answer | Not acknowledged but stored |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, w in result["verified"]["writes"].items():
        lines.append(
            f"| {kind} | {w['attempted']} | {w['acknowledged']} | {w['found']} | {len(w['lost'])} "
            f"| {len(w['duplicated'])} | {w['refused']} | {w['unanswered']} "
            f"| {w['unacknowledged_but_stored']} |"
        )
    reports = result["verified"]["reports"]
    lines += [
        "",
        f"Reports acknowledged, by final status: {reports['statuses']}; generated after a "
        f"retry: {reports['retried']}; requeued by the recovery: {reports['recovered']}; "
        f"files missing: {len(reports['missing_files'])}; files no report points at: "
        f"{reports['orphan_files']}.",
        "",
    ]
    series = rss_series(result["samples"])
    names = sorted(series)
    lines += [
        "| t (s) | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for sample in result["samples"]:
        cells = [f"{sample['rss'][n]:.0f}" if n in sample["rss"] else "" for n in names]
        lines.append(f"| {sample['t']} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("RSS in MB. Growth per process, first sample after its first minute → last:")
    for name, g in rss_growth(series).items():
        if g["growth"] is None:
            lines.append(f"- {name}: too few samples")
        else:
            lines.append(
                f"- {name}: {g['first_mb']:.0f} MB at {g['from_t']} s → {g['last_mb']:.0f} MB at "
                f"{g['to_t']} s ({g['growth']:+.1%}; second half {g['second_half_growth']:+.1%}), "
                f"peak {g['max_mb']:.0f} MB"
            )
    if result["timeline"]:
        lines += ["", fault_text(result["timeline"], requests_, args)]
    exits = result["worker_exits"]
    lines.append("")
    lines.append(
        f"Task worker exits (restarted after {WORKER_RESTART_DELAY} s): "
        + (", ".join(f"at {e['t']} s (code {e['code']})" for e in exits) or "none")
        + f"; tracebacks in its log: {result['worker_log_errors']}."
    )
    lines.append("")
    lines.append(
        "gunicorn's log: " + ", ".join(f"{k}: {v}" for k, v in result["gunicorn_log"].items()) + "."
    )
    lines += ["", "| Check | Result | Detail |", "| --- | --- | --- |"]
    for name, passed, detail in checks(result, args):
        lines.append(f"| {name} | {'ok' if passed else '**failed**'} | {detail} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=600, help="seconds of load (600)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--fault", choices=["postgres-restart"], help="inject a fault mid-run")
    parser.add_argument("--outage", type=float, default=10, help="seconds PostgreSQL stays down")
    parser.add_argument(
        "--pg-stop-mode", choices=["fast", "immediate"], default="fast",
        help="fast: a clean restart; immediate: a crash (recovery from the WAL on start)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--markdown", type=Path, help="write the summary to this file")
    parser.add_argument("--logs", type=Path, help="copy gunicorn's and the task worker's logs here")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:  # inside a subprocess
        action, *rest = args.worker
        if action == "build":
            worker_build(Path(rest[0]), int(rest[1]), int(rest[2]), int(rest[3]))
        elif action == "verify":
            worker_verify(Path(rest[0]), Path(rest[1]), int(rest[2]))
        return 0

    started = time.perf_counter()
    cluster = Cluster()
    try:
        cluster.start()
        result = soak(args, cluster)
    finally:
        cluster.destroy()
    seconds = time.perf_counter() - started
    summary = markdown(result, args, seconds)
    print("\n" + summary)
    if result["bodies"]:
        print("\nFirst body of each unexpected 5xx:")
        for key, body in result["bodies"].items():
            print(f"--- {key}\n{body[:1500]}")
    if args.json:
        args.json.write_text(json.dumps(result | {"args": vars(args)}, default=str))
    if args.markdown:
        args.markdown.write_text(summary + "\n")
    failed = [name for name, passed, _detail in checks(result, args) if not passed]
    if failed:
        print("\nChecks failed:\n  " + "\n  ".join(failed))
        return 1
    print("\nAll checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Faults, one by one, each with its check: a killed task worker, Stripe unreachable, a full disk.

    flock /tmp/bench.lock .venv/bin/python bench/faults.py                # all three
    flock /tmp/bench.lock .venv/bin/python bench/faults.py worker-kill    # or some of them
    flock /tmp/bench.lock .venv/bin/python bench/faults.py worker-kill --wait-stale  # really 10 min

Builds a throwaway PostgreSQL cluster (bench/soak.py's) with the `reports` preset
of bench/datagen.py, then:

- `worker-kill`: asks for the annual report of its incubator of 1,000 startups,
  SIGKILLs `manage.py db_worker` while it renders the PDF (that worker pauses
  SLOW_PDF_SECONDS before rendering, a bench-only hook: the report takes well
  under a second otherwise), starts a normal worker and runs `recover_reports` as
  before each worker start: the killed process is gone from this host, so the
  report is queued again at once; it must end done, generated once: one file, its
  checksum, one version. (`--wait-stale` first waits REPORT_STALE_AFTER, the
  delay after which a worker of another host is given up.)
- `stripe-unreachable`: gunicorn with Stripe's address on a closed loopback port,
  then on a port that accepts connections and never answers; a territory's
  référent logs in and presses "Payer": the page must say, in French, that online
  payment is unavailable, before gunicorn's 30 s worker timeout, and the
  contribution must not be marked paid.
- `disk-full`: the private storage on a 1 MB tmpfs (needs root: `mount`) filled up
  to its last 8 kB; a startup report must end failed with a French reason and no
  partial file; once there is room again, its retry stores one whole file.

Prints a Markdown table of checks (`--markdown FILE` keeps it); exits 1 when one fails.
"""

import argparse
import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench.load import _free_port, server_env  # noqa: E402
from bench.reports import ThrowawayDatabase, _child_env  # noqa: E402
from bench.soak import Cluster, _stop_group, gunicorn  # noqa: E402

SEED = 2026
FAULTS = ("worker-kill", "stripe-unreachable", "disk-full")
UNAVAILABLE = "Le paiement en ligne est momentanément indisponible"
DISK_FULL_REASON = "l’espace de stockage est plein"
GUNICORN_TIMEOUT = 30  # seconds: gunicorn kills a sync worker silent for longer
SLOW_PDF_SECONDS = 30  # the killed worker's pause before rendering: time to kill it there
TMPFS_SIZE = "1m"
ROOM_LEFT = 8 * 1024  # bytes left on the full disk: less than any report


# --- Workers (run in subprocesses, with Django); each prints one JSON line ----------------


def _django():
    import django

    django.setup()


def worker_build() -> dict:
    """Migrate, generate the `reports` preset, give a territory's référent a password."""
    _django()
    from django.core.management import call_command

    from allauth.account.models import EmailAddress

    from bench.datagen import generate
    from programs.models import Contribution, ContributionStatus

    call_command("migrate", verbosity=0, interactive=False)
    summary = generate("reports", seed=SEED)
    contribution = (
        Contribution.objects.filter(
            status=ContributionStatus.DUE, territory__referents__isnull=False
        )
        .select_related("territory")
        .order_by("pk")
        .first()
    )
    referent = contribution.territory.referents.order_by("pk").first()
    password = "faults-" + os.urandom(8).hex()
    referent.set_password(password)
    referent.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=referent, email=referent.email, defaults={"verified": True, "primary": True}
    )
    landmarks = summary.as_dict()["landmarks"]
    return {
        "incubator": landmarks["incubator_1000"],
        "startup": landmarks["startup_300"],
        "referent": {"email": referent.email, "password": password},
        "contribution": contribution.pk,
        "territory": contribution.territory.slug,
    }


def worker_request(kind: str, slug: str) -> dict:
    """Ask for a report as its subject's coach would (the task is queued on commit)."""
    _django()
    import datetime

    from django.utils import timezone

    from accounts.models import User
    from incubator import services
    from incubator.enums import ReportKind
    from incubator.models import Incubator, Startup

    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    if kind == ReportKind.INCUBATOR:
        year = timezone.localdate().year - 1  # the last full year: the network is busy all of it
        subject = Incubator.objects.get(slug=slug)
        start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    else:
        subject = Startup.objects.get(slug=slug)
        start, end = datetime.date(2020, 1, 1), timezone.localdate()
    report = services.report_request(
        kind=kind, subject=subject, start=start, end=end, public=False, user=staff
    )
    return {"id": report.pk}


def worker_report(report_id: int) -> dict:
    """A report's state, its task's, and the files in the reports folder."""
    _django()
    from django_tasks_db.models import DBTaskResult

    from incubator.models import Report

    report = Report.objects.get(pk=report_id)
    same = Report.objects.filter(
        kind=report.kind,
        startup=report.startup,
        incubator=report.incubator,
        period_start=report.period_start,
        period_end=report.period_end,
        is_public=report.is_public,
    )
    tasks = DBTaskResult.objects.filter(args_kwargs__args=[report_id]).order_by("enqueued_at")
    storage = report.pdf.storage
    files = storage.listdir("reports")[1] if storage.exists("reports") else []
    stored = None
    if report.pdf:
        with report.pdf.open("rb") as pdf:
            content = pdf.read()
        stored = {
            "sha256_matches": hashlib.sha256(content).hexdigest() == report.sha256,
            "whole_pdf": content.startswith(b"%PDF") and content.rstrip().endswith(b"%%EOF"),
            "size": len(content),
        }
    return {
        "status": report.status,
        "progress": report.progress,
        "attempts": report.attempts,
        "error": report.error,
        "pdf": report.pdf.name,
        "stored": stored,
        "versions": same.count(),
        "files": sorted(files),
        "tasks": [task.status for task in tasks],
    }


def worker_recover(shift_seconds: int) -> dict:
    """`recover_reports` as it will run `shift_seconds` from now."""
    _django()
    import datetime

    from django.utils import timezone

    from incubator.services.reports import reports_recover

    return reports_recover(now=timezone.now() + datetime.timedelta(seconds=shift_seconds))


def worker_retry(report_id: int) -> dict:
    _django()
    from incubator import services
    from incubator.models import Report

    report = Report.objects.get(pk=report_id)
    services.report_retry(report, user=report.requested_by)
    return {"status": Report.objects.get(pk=report_id).status}


def worker_contribution(contribution_id: int) -> dict:
    _django()
    from programs.models import BillingAccount, Contribution, Payment

    contribution = Contribution.objects.get(pk=contribution_id)
    return {
        "status": contribution.status,
        "paid_cents": contribution.paid_cents,
        "checkout_session_id": contribution.checkout_session_id,
        "payments": Payment.objects.filter(contribution=contribution).count(),
        "stripe_customers": BillingAccount.objects.exclude(stripe_customer_id=None).count(),
    }


def worker_slow_db_worker() -> dict:
    """`manage.py db_worker`, pausing before each PDF: the step the fault kills it in."""
    _django()
    from django.core.management import call_command

    from incubator.services import reports

    render = reports._render_pdf

    def slow_render(report, report_data):
        time.sleep(SLOW_PDF_SECONDS)
        return render(report, report_data)

    reports._render_pdf = slow_render
    call_command("db_worker", "--no-reload", "--no-startup-delay")
    return {}


WORKERS = {
    "build": worker_build,
    "request": worker_request,
    "report": lambda pk: worker_report(int(pk)),
    "recover": lambda shift: worker_recover(int(shift)),
    "retry": lambda pk: worker_retry(int(pk)),
    "contribution": lambda pk: worker_contribution(int(pk)),
    "slow-db-worker": worker_slow_db_worker,
}


# --- The parent -----------------------------------------------------------------------------


class Bench:
    """The database, the environment every process shares, and the checks found so far."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.database = ThrowawayDatabase(cluster.url())
        self.tmp = self.database.tmpdir
        self.env = _child_env(self.database.url) | {
            "PRIVATE_MEDIA_ROOT": str(self.tmp / "private"),
            "MEDIA_ROOT": str(self.tmp / "media"),
            "SECURE_COOKIES": "0",  # loopback has no TLS
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
        self.checks: list[tuple[str, str, bool, str]] = []

    def run(self, action: str, *args, env=None) -> dict:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            action,
            *map(str, args),
        ]
        completed = subprocess.run(  # noqa: S603 - this script as a worker, no shell
            command, env=env or self.env, capture_output=True, text=True, check=False
        )
        if completed.returncode:
            raise SystemExit(f"Worker {action} failed:\n{completed.stderr[-3000:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def manage(self, *args, env=None) -> str:
        command = [sys.executable, str(ROOT / "manage.py"), *args]
        completed = subprocess.run(  # noqa: S603 - manage.py with our arguments, no shell
            command, env=env or self.env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        return completed.stdout.strip()

    def check(self, fault: str, name: str, passed: bool, detail="") -> None:
        self.checks.append((fault, name, bool(passed), str(detail)))
        print(f"  [{'ok' if passed else 'FAILED'}] {name} {detail}", flush=True)

    def db_worker(self, log: Path, *, slow: bool = False) -> subprocess.Popen:
        command = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload"]
        if slow:
            command = [sys.executable, str(Path(__file__).resolve()), "--worker", "slow-db-worker"]
        with log.open("ab") as log_file:
            return subprocess.Popen(  # noqa: S603 - our task worker, no shell
                command,
                env=self.env,
                cwd=ROOT,
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
            )

    def report_row(self, report_id: int) -> tuple[str, int]:
        with psycopg.connect(self.database.url) as db:
            return db.execute(
                "SELECT status, progress FROM incubator_report WHERE id = %s", [report_id]
            ).fetchone()


def worker_kill(bench: Bench, setup: dict, *, wait_stale: bool) -> None:
    """SIGKILL the task worker in the middle of a report, then recover as production does."""
    fault = "worker-kill"
    print("Worker killed during a report:", flush=True)
    log = bench.tmp / "db_worker.log"
    worker = bench.db_worker(log, slow=True)
    report_id = bench.run("request", "incubator", setup["incubator"])["id"]
    deadline, state = time.monotonic() + 300, None
    while time.monotonic() < deadline:
        state = bench.report_row(report_id)
        if state[0] != "queued" and (state[0] != "running" or state[1] >= 40):
            break
        time.sleep(0.2)
    time.sleep(1)  # well inside the PDF step
    killed_at = bench.report_row(report_id)
    os.killpg(worker.pid, signal.SIGKILL)  # no cleanup, no "failed" status: it just vanishes
    worker.wait()
    bench.check(
        fault,
        "Killed while rendering the PDF",
        killed_at[0] == "running",
        f"status {killed_at[0]} at {killed_at[1]} %",
    )
    after_kill = bench.run("report", report_id)
    bench.check(
        fault,
        "Nothing stored by the killed run",
        not after_kill["files"] and not after_kill["pdf"],
        f"{len(after_kill['files'])} files",
    )

    worker = bench.db_worker(log)  # systemd's Restart=always
    try:
        # What runs before each worker start (`make run`, systemd's ExecStartPre): the
        # killed process is gone from this host, so the report is queued again at once.
        if wait_stale:
            print("  waiting REPORT_STALE_AFTER (10 minutes)…", flush=True)
            time.sleep(10 * 60 + 5)
        recovered = bench.manage("recover_reports")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and bench.report_row(report_id)[0] != "done":
            time.sleep(0.5)
        done = bench.run("report", report_id)
        bench.check(
            fault,
            "Requeued at the worker's restart, then generated",
            done["status"] == "done" and done["attempts"] == 2,
            f"recovery: « {recovered} »; status {done['status']}, attempts {done['attempts']}",
        )
        stored = done["stored"] or {}
        bench.check(
            fault,
            "Once: one file, its checksum, one version",
            len(done["files"]) == 1
            and done["pdf"] == f"reports/{done['files'][0]}"
            and stored.get("sha256_matches")
            and stored.get("whole_pdf")
            and done["versions"] == 1,
            f"{len(done['files'])} file(s), {stored.get('size', 0):,} bytes, "
            f"{done['versions']} version(s); tasks: {done['tasks']}",
        )
        again = bench.run("recover", 10 * 60 + 1)
        time.sleep(3)
        later = bench.run("report", report_id)
        bench.check(
            fault,
            "A later recovery leaves the finished report alone",
            again == {"requeued": 0, "failed": 0} and later["files"] == done["files"],
            json.dumps(again),
        )
    finally:
        _stop_group(worker)


@contextlib.contextmanager
def listening(*, answer: bool):
    """A loopback port: closed (`answer` False: connections refused)… or silent."""
    if not answer:
        yield f"http://127.0.0.1:{_free_port()}"
        return
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # handshakes completed by the kernel; nobody ever answers
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def stripe_unreachable(bench: Bench, setup: dict) -> None:
    """The référent presses "Payer" while Stripe refuses connections, then while it is silent."""
    fault = "stripe-unreachable"
    print("Stripe unreachable:", flush=True)
    static_root = bench.tmp / "static"
    bench.manage(
        "collectstatic", "--no-input", "-v0", env=bench.env | {"STATIC_ROOT": str(static_root)}
    )
    contribution, territory = setup["contribution"], setup["territory"]
    for how, silent in (("refused", False), ("silent", True)):
        with listening(answer=silent) as stripe_address:
            env = server_env(bench.env, static_root, page_cache=True) | {
                "STRIPE_SECRET_KEY": "sk_test_faults",
                "STRIPE_API_BASE": stripe_address,
            }
            log = bench.tmp / f"gunicorn-stripe-{how}.log"
            with gunicorn(env, log) as (base_url, _master):
                http = requests.Session()
                http.get(f"{base_url}/comptes/login/", timeout=30)
                login = http.post(
                    f"{base_url}/comptes/login/",
                    data={
                        "login": setup["referent"]["email"],
                        "password": setup["referent"]["password"],
                    },
                    headers={"X-CSRFToken": http.cookies.get("csrftoken", "")},
                    allow_redirects=False,
                    timeout=30,
                )
                listing = f"/espace/territoire/contributions/?territoire={territory}"
                page = http.get(base_url + listing, timeout=30)
                started = time.monotonic()
                try:
                    paid = http.post(
                        f"{base_url}/paiements/contributions/{contribution}/payer/",
                        headers={"X-CSRFToken": http.cookies.get("csrftoken", "")},
                        timeout=GUNICORN_TIMEOUT + 30,
                    )
                    status, body = paid.status_code, paid.text
                except requests.RequestException as error:
                    status, body = type(error).__name__, ""
                seconds = time.monotonic() - started
            timeouts = log.read_text(errors="replace").count("WORKER TIMEOUT")
        bench.check(
            fault,
            f"Stripe {how}: the page says so in French",
            login.status_code == 302
            and page.status_code == 200
            and status == 200
            and UNAVAILABLE in body,
            f"HTTP {status} after {seconds:.1f} s",
        )
        bench.check(
            fault,
            f"Stripe {how}: answered before gunicorn's {GUNICORN_TIMEOUT} s timeout",
            seconds < GUNICORN_TIMEOUT and not timeouts,
            f"{timeouts} worker timeouts",
        )
        state = bench.run("contribution", contribution)
        bench.check(
            fault,
            f"Stripe {how}: nothing marked paid",
            state["status"] == "due"
            and state["paid_cents"] == 0
            and state["payments"] == 0
            and not state["checkout_session_id"],
            json.dumps(state),
        )


@contextlib.contextmanager
def full_disk(folder: Path):
    """A 1 MB tmpfs at `folder`, filled up to its last ROOM_LEFT bytes; the filler's path."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed program and arguments, no shell
        ["/usr/bin/mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(folder)],
        check=True,
        capture_output=True,
    )
    try:
        filler = folder / "filler"
        with filler.open("wb", buffering=0) as file, contextlib.suppress(OSError):
            while True:  # until ENOSPC
                file.write(b"\0" * 4096)
        os.truncate(filler, filler.stat().st_size - ROOM_LEFT)
        yield filler
    finally:
        subprocess.run(["/usr/bin/umount", str(folder)], check=False)  # noqa: S603 - fixed program


def disk_full(bench: Bench, setup: dict) -> None:
    fault = "disk-full"
    print("Disk full when storing a report:", flush=True)
    if os.geteuid() != 0:
        bench.check(fault, "A tmpfs can be mounted", False, "needs root (mount)")
        return
    private = bench.tmp / "private-full"
    env = bench.env | {"PRIVATE_MEDIA_ROOT": str(private)}
    with full_disk(private) as filler:
        free_before = os.statvfs(private).f_bavail * os.statvfs(private).f_frsize
        report_id = bench.run("request", "startup", setup["startup"], env=env)["id"]
        bench.manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0", env=env)
        failed = bench.run("report", report_id, env=env)
        free_after = os.statvfs(private).f_bavail * os.statvfs(private).f_frsize
        bench.check(
            fault,
            "Failed, with a French reason",
            failed["status"] == "failed" and DISK_FULL_REASON in failed["error"],
            f"« {failed['error']} »",
        )
        bench.check(
            fault,
            "No partial file left, the space given back",
            not failed["files"] and not failed["pdf"] and free_after == free_before,
            f"{len(failed['files'])} files; {free_before:,} bytes free before, {free_after:,} after",
        )
        filler.unlink()  # room again
        bench.run("retry", report_id, env=env)
        bench.manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0", env=env)
        done = bench.run("report", report_id, env=env)
        stored = done["stored"] or {}
        bench.check(
            fault,
            "Once there is room, the retry stores one whole file",
            done["status"] == "done"
            and len(done["files"]) == 1
            and stored.get("sha256_matches")
            and stored.get("whole_pdf"),
            f"{stored.get('size', 0):,} bytes (more than the {ROOM_LEFT:,} that were left)",
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("faults", nargs="*", help=f"some of {', '.join(FAULTS)} (all)")
    parser.add_argument("--wait-stale", action="store_true", help="really wait 10 minutes")
    parser.add_argument("--markdown", type=Path, help="write the table of checks to this file")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:  # inside a subprocess
        action, *rest = args.worker
        print(json.dumps(WORKERS[action](*rest)))
        return 0
    if unknown := set(args.faults) - set(FAULTS):
        parser.error(f"unknown fault(s): {', '.join(sorted(unknown))}")
    args.faults = args.faults or list(FAULTS)

    cluster = Cluster()
    try:
        cluster.start()
        bench = Bench(cluster)
        try:
            print(f"Throwaway database {bench.database.pg_name}: the `reports` preset…", flush=True)
            setup = bench.run("build")
            if "worker-kill" in args.faults:
                worker_kill(bench, setup, wait_stale=args.wait_stale)
            if "stripe-unreachable" in args.faults:
                stripe_unreachable(bench, setup)
            if "disk-full" in args.faults:
                disk_full(bench, setup)
        finally:
            with contextlib.suppress(Exception):
                bench.database.drop()
    finally:
        cluster.destroy()

    lines = ["| Fault | Check | Result | Detail |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {fault} | {name} | {'ok' if passed else '**failed**'} | {detail} |"
        for fault, name, passed, detail in bench.checks
    ]
    print("\n" + "\n".join(lines))
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n")
    if not all(passed for _fault, _name, passed, _detail in bench.checks):
        print("\nChecks failed.")
        return 1
    print("\nAll checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The task worker's memory over many reports: a leak, or growth that levels off?

    flock /tmp/bench.lock .venv/bin/python bench/worker_memory.py                 # 1,500 reports
    flock /tmp/bench.lock .venv/bin/python bench/worker_memory.py --tasks 300 --every 25
    flock /tmp/bench.lock .venv/bin/python bench/worker_memory.py --tracemalloc   # what survives
    flock /tmp/bench.lock .venv/bin/python bench/worker_memory.py --max-tasks 500 # recycled
    DATABASE_URL=postgres://USER@HOST:PORT/ANY flock /tmp/bench.lock .venv/bin/python bench/worker_memory.py

Builds a throwaway database (a temporary SQLite file, or with DATABASE_URL a
temporary database on that PostgreSQL server, as bench/reports.py does) with the
soak's network (bench/soak.py's DATA, same seed) and queues `--tasks` reports of
every kind, most of them what the soak's clients ask for (a startup's internal
report, a new period each time). Then runs the real task worker, django-tasks'
`db_worker` command with production settings (DEBUG off), until the queue is
empty; with `--max-tasks N` it exits after N reports and is started again, as
the Makefile and the systemd unit do.

The worker process runs that command through `call_command`, with one
`task_finished` receiver that, every `--every` reports, records the process's
RSS (/proc/self/status), the heap glibc's malloc has in use and holds free
(`mallinfo2`), and the blocks Python's allocator has in use. A Python leak grows
the blocks in use; memory that malloc keeps without any object in it
(fragmentation) grows RSS and malloc's free bytes but not the blocks; garbage in
reference cycles waiting for the collector grows the blocks, then drops at each
full collection (a saw-tooth). `--collect` runs `gc.collect()` before each sample
and counts what it freed. With `--tracemalloc` it also traces allocations (15
frames) and prints, at the end, what grew since the first sample, by traceback.

Prints a table of the samples and the growth per 1,000 reports over the first
and the second half of the run (a leak keeps its pace; a warming cache slows
down). `--json FILE` keeps the samples.
"""

import argparse
import collections
import ctypes
import ctypes.util
import datetime
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.reports import ThrowawayDatabase, _child_env  # noqa: E402
from bench.soak import DATA, SEED  # noqa: E402

TASKS = 1500
EVERY = 50
TRACE_FRAMES = 15
TRACE_TOP = 15
# Kinds of the reports queued, by weight: mostly the soak's (a startup, internal).
MIX = (
    ("startup", False, 14),
    ("startup", True, 2),
    ("cohort", False, 2),
    ("territory", True, 1),
    ("incubator", False, 1),
)


# --- Workers (run in subprocesses, with Django) ---------------------------------------


def _django():
    import django

    django.setup()


def worker_build(out: Path, tasks: int, seed: int) -> None:
    """Migrate, generate the soak's network, queue `tasks` reports (their tasks too)."""
    _django()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from bench.datagen import generate
    from incubator import services
    from incubator.enums import ReportKind, Visibility
    from incubator.models import Incubator, Report, Startup, Territory
    from programs.models import Cohort

    call_command("migrate", verbosity=0, interactive=False)
    generate(DATA, seed=seed)
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    today = timezone.localdate()
    startups = list(Startup.objects.order_by("pk"))
    subjects = {
        ("startup", False): startups,
        ("startup", True): [s for s in startups if s.visibility == Visibility.PUBLIC],
        ("cohort", False): list(Cohort.objects.order_by("pk")),
        ("territory", True): list(Territory.objects.order_by("pk")),
        ("incubator", False): list(Incubator.objects.order_by("pk")),
    }
    cycle = [(kind, public) for kind, public, weight in MIX for _ in range(weight)]
    seen = collections.Counter()
    for i in range(tasks):
        kind, public = cycle[i % len(cycle)]
        pool = subjects[kind, public]
        n = seen[kind, public]
        seen[kind, public] += 1
        subject, round_ = pool[n % len(pool)], n // len(pool)
        if kind == "incubator":  # a calendar year; the same one again is a new version
            year = today.year - 1 - round_ % 4
            start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        else:  # as the soak's clients: a new period each time
            start = datetime.date(2021, 1, 1) + datetime.timedelta(days=n % len(pool) % 365)
            end = min(today, start + datetime.timedelta(days=60 + round_))
        services.report_request(
            kind=ReportKind(kind), subject=subject, start=start, end=end, public=public, user=staff
        )
    queued = Report.objects.values_list("kind", "is_public")
    out.write_text(json.dumps({"queued": dict(collections.Counter(f"{k} {p}" for k, p in queued))}))


def _malloc():
    """glibc's mallinfo2 (in use, free but kept) and malloc_trim, or None elsewhere."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallinfo2"):
        return None

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (field, ctypes.c_size_t)
            for field in (
                "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                "uordblks", "fordblks", "keepcost",
            )
        ]  # fmt: skip

    libc.mallinfo2.restype = MallInfo2
    return libc


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_db_worker(
    samples_path: Path, every: int, trace: bool, max_tasks: int, collect: bool
) -> None:
    """`db_worker --batch` in this process, sampling its memory every `every` reports."""
    import tracemalloc

    if trace:
        tracemalloc.start(TRACE_FRAMES)
    _django()
    from django.core.management import call_command

    from django_tasks_db.compat import task_finished

    libc = _malloc()
    state = {"done": 0, "tasks": 0, "started": time.monotonic(), "baseline": None}

    def sample(final: bool = False) -> None:
        # With --collect: free the cyclic garbage the collector had not reached yet (not a
        # leak, but RSS counts it until a full collection), and count it.
        unreachable = gc.collect() if collect else None
        row = {
            "pid": os.getpid(),
            "tasks": state["done"],  # reports; "all_tasks" counts the e-mails queued too
            "all_tasks": state["tasks"],
            "seconds": round(time.monotonic() - state["started"], 1),
            "rss_kb": _rss_kb(),
            "py_blocks": sys.getallocatedblocks(),
            "gc_objects": len(gc.get_objects()),
            "unreachable": unreachable,
            "final": final,
        }
        if libc is not None:
            info = libc.mallinfo2()
            row |= {
                "malloc_used_kb": info.uordblks // 1024,
                "malloc_free_kb": info.fordblks // 1024,
            }
        if trace:
            row["traced_kb"] = tracemalloc.get_traced_memory()[0] // 1024
            if state["baseline"] is None:
                state["baseline"] = tracemalloc.take_snapshot()
        with samples_path.open("a") as samples:
            samples.write(json.dumps(row) + "\n")

    def on_finished(sender, task_result, **kwargs):
        state["tasks"] += 1
        if task_result.task.name == "generate_report":
            state["done"] += 1
            if state["done"] % every == 0:
                sample()

    task_finished.connect(on_finished, weak=False)
    options = ["--batch", "--no-reload", "--no-startup-delay", "--interval=0", "-v1"]
    if max_tasks:
        options.append(f"--max-tasks={max_tasks}")
    call_command("db_worker", *options)
    sample(final=True)
    if libc is not None:
        # What a trim would give back: memory malloc held with nothing in it.
        libc.malloc_trim(0)
        with samples_path.open("a") as samples:
            samples.write(json.dumps({"pid": os.getpid(), "rss_after_trim_kb": _rss_kb()}) + "\n")
    if trace and state["baseline"] is not None:
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        stats = snapshot.compare_to(state["baseline"], "traceback")
        print(f"\nAllocations grown since the first sample ({state['done']} tasks in all):")
        for stat in stats[:TRACE_TOP]:
            print(f"\n+{stat.size_diff / 1024:.1f} kB, +{stat.count_diff} blocks")
            for line in stat.traceback.format()[-12:]:
                print("   " + line)


# --- The parent -----------------------------------------------------------------------


def _run(env, *args, log=None) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    completed = subprocess.run(  # noqa: S603 - this script, no shell
        command, env=env, cwd=ROOT, stdout=log, stderr=log, timeout=7200, check=False
    )
    if completed.returncode:
        raise SystemExit(f"Worker {args[0]} failed (code {completed.returncode}).")


def _per_thousand(rows: list[dict], key: str) -> float:
    """Growth of `key` per 1,000 tasks between the first and the last row (kB)."""
    (first, last) = rows[0], rows[-1]
    if last["tasks"] == first["tasks"]:
        return 0.0
    return (last[key] - first[key]) / (last["tasks"] - first["tasks"]) * 1000


def summary(rows: list[dict], trims: list[dict]) -> str:
    keys = [
        ("rss_kb", "RSS"),
        ("malloc_used_kb", "malloc in use"),
        ("malloc_free_kb", "malloc free, kept"),
        ("traced_kb", "traced by tracemalloc"),
    ]
    keys = [(k, title) for k, title in keys if k in rows[0]]
    lines = [
        "| worker | reports | s | "
        + " | ".join(f"{t} (MB)" for _, t in keys)
        + " | Python blocks | objects | freed by gc |",
        "| --- | --- | --- |" + " --- |" * len(keys) + " --- | --- | --- |",
    ]
    for row in rows:
        cells = " | ".join(f"{row[k] / 1024:.1f}" for k, _ in keys)
        lines.append(
            f"| {row['pid']} | {row['tasks']:,} | {row['seconds']:.0f} | {cells} | {row['py_blocks']:,} "
            f"| {row['gc_objects']:,} | {'–' if row['unreachable'] is None else row['unreachable']} |"
        )
    lines.append("")
    by_process = collections.defaultdict(list)
    for row in rows:
        by_process[row["pid"]].append(row)
    for pid, own in by_process.items():
        measured = [row for row in own if not row["final"]][1:]  # after the first sample: warm
        if len(measured) < 3:
            lines.append(f"Worker {pid}: too few samples to tell a trend.")
            continue
        middle = len(measured) // 2
        halves = (measured[: middle + 1], measured[middle:])
        for key, title in keys:
            first, second = (_per_thousand(half, key) for half in halves)
            lines.append(
                f"- worker {pid}, {title}: {first:+,.0f} kB per 1,000 reports from "
                f"{halves[0][0]['tasks']:,} to {halves[0][-1]['tasks']:,}, {second:+,.0f} kB "
                f"from {halves[1][0]['tasks']:,} to {halves[1][-1]['tasks']:,}"
            )
        first, second = (_per_thousand(half, "py_blocks") for half in halves)
        lines.append(
            f"- worker {pid}, Python blocks in use: {first:+,.0f} then {second:+,.0f} "
            "per 1,000 reports"
        )
    for trim in trims:
        final = next(r for r in rows if r["pid"] == trim["pid"] and r["final"])
        lines.append(
            f"- worker {trim['pid']}: RSS {final['rss_kb'] / 1024:.1f} MB at the end, "
            f"{trim['rss_after_trim_kb'] / 1024:.1f} MB after `malloc_trim(0)`"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=TASKS, help=f"reports queued ({TASKS})")
    parser.add_argument("--every", type=int, default=EVERY, help=f"sample every N ({EVERY})")
    parser.add_argument("--tracemalloc", action="store_true", help="trace allocations")
    parser.add_argument("--max-tasks", type=int, default=0, help="db_worker --max-tasks")
    parser.add_argument(
        "--collect", action="store_true", help="gc.collect() before each sample (cycles freed)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", type=Path, help="write the samples to this file")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:  # inside a subprocess
        action, *rest = args.worker
        if action == "build":
            worker_build(Path(rest[0]), int(rest[1]), int(rest[2]))
        elif action == "db_worker":
            worker_db_worker(
                Path(rest[0]), int(rest[1]), rest[2] == "1", int(rest[3]), rest[4] == "1"
            )
        return 0

    database = ThrowawayDatabase(os.environ.get("DATABASE_URL"))
    tmp = database.tmpdir
    env = _child_env(database.url)
    env.update(
        PRIVATE_MEDIA_ROOT=str(tmp / "private"),
        MEDIA_ROOT=str(tmp / "media"),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    samples_path = tmp / "samples.jsonl"
    try:
        print(f"Building the soak's network and queuing {args.tasks:,} reports…", flush=True)
        _run(env, "build", str(tmp / "build.json"), str(args.tasks), str(args.seed))
        queued = json.loads((tmp / "build.json").read_text())["queued"]
        print(f"Queued (kind, public): {queued}", flush=True)
        started = time.monotonic()
        runs = 0
        with (tmp / "db_worker.log").open("ab") as log:
            while True:  # restarted while --max-tasks makes it exit with reports left
                runs += 1
                _run(
                    env,
                    "db_worker",
                    str(samples_path),
                    str(args.every),
                    "1" if args.tracemalloc else "0",
                    str(args.max_tasks),
                    "1" if args.collect else "0",
                    log=None if args.tracemalloc else log,
                )
                rows = [json.loads(line) for line in samples_path.read_text().splitlines()]
                done = sum(r["tasks"] for r in rows if r.get("final"))
                if not args.max_tasks or done >= sum(queued.values()):
                    break
        seconds = time.monotonic() - started
        failed = (tmp / "db_worker.log").read_text(errors="replace").count("Traceback")
    finally:
        database.drop()
    samples = [r for r in rows if "tasks" in r]
    trims = [r for r in rows if "rss_after_trim_kb" in r]
    print(
        f"\n{done:,} reports in {seconds:.0f} s by {runs} worker run(s); "
        f"tracebacks in the worker's log: {failed}.\n"
    )
    print(summary(samples, trims))
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args) | {"json": str(args.json)}, "rows": rows})
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

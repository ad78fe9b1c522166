"""Fail when the English catalogue is stale or incomplete.

UI strings are written in French (the default language) and translated to
English in locale/en. This regenerates the catalogue from a copy of the
tracked sources and compares message ids, so a new string cannot ship
untranslated.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Path("locale/en/LC_MESSAGES/django.po")


def message_ids(po: polib.POFile) -> set[tuple[str, str]]:
    return {(entry.msgctxt or "", entry.msgid) for entry in po if not entry.obsolete}


def main() -> int:
    tracked = subprocess.run(  # noqa: S603 - fixed arguments
        [shutil.which("git") or "git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    with tempfile.TemporaryDirectory() as tmp:
        for name in tracked:
            source = ROOT / name
            if source.is_file():
                target = Path(tmp) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete", "-v0"],
            cwd=tmp,
            check=True,
            env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
        )
        fresh = polib.pofile(str(Path(tmp) / CATALOGUE))
    committed = polib.pofile(str(ROOT / CATALOGUE))
    problems = []
    missing = message_ids(fresh) - message_ids(committed)
    stale = message_ids(committed) - message_ids(fresh)
    if missing:
        problems.append(
            f"{len(missing)} chaîne(s) absente(s) du catalogue : lancez `make messages`."
        )
        problems += [f"  + {msgid!r}" for _, msgid in sorted(missing)[:20]]
    if stale:
        problems.append(f"{len(stale)} chaîne(s) obsolète(s) : lancez `make messages`.")
    untranslated = [e.msgid for e in committed.untranslated_entries() + committed.fuzzy_entries()]
    if untranslated:
        problems.append(f"{len(untranslated)} chaîne(s) sans traduction anglaise :")
        problems += [f"  ? {msgid!r}" for msgid in untranslated[:20]]
    # Placeholders must match between French and English, or compilemessages fails.
    checked = subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("msgfmt") or "msgfmt",
            "--check-format",
            "-o",
            "/dev/null",
            str(ROOT / CATALOGUE),
        ],
        capture_output=True,
        text=True,
    )
    if checked.returncode:
        problems.append(checked.stderr.strip())
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

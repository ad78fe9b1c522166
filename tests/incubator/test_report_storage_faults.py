"""A full disk while a report's PDF is written: a failed report with a French reason, never a
half-written file left in the storage, and a retry that works once there is room again.

The same on a real, tiny filesystem: `bench/faults.py disk-full`.
"""

import datetime
import errno
import hashlib
import os
from pathlib import Path
from unittest import mock

import pytest

from incubator import services
from incubator.enums import MembershipRole, ReportKind, ReportStatus
from incubator.models import Membership, Report
from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db
PERIOD = {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 12, 31)}


class FillingUpFile:
    """A real file on a disk with `room` bytes left: writes what fits, then fails as Linux does."""

    def __init__(self, file, room: int):
        self.file, self.room = file, room

    def write(self, data: bytes) -> int:
        fits = data[: self.room]
        self.file.write(fits)
        self.room -= len(fits)
        if len(fits) < len(data):
            self.file.flush()  # what did fit is on disk, as after a real short write
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return len(data)

    def close(self) -> None:
        self.file.close()


@pytest.fixture
def storage():
    return Report._meta.get_field("pdf").storage


@pytest.fixture
def disk_full(storage, monkeypatch):
    """The storage's own code writes the report file on a disk with 1 kB left."""
    real_save, real_fdopen = storage._save, os.fdopen

    def fdopen_filling_up(fd, *args, **kwargs):
        return FillingUpFile(real_fdopen(fd, *args, **kwargs), room=1024)

    def save_on_full_disk(name, content):
        with mock.patch("os.fdopen", fdopen_filling_up):
            return real_save(name, content)

    monkeypatch.setattr(storage, "_save", save_on_full_disk)


def stored_files(storage) -> set[Path]:
    folder = Path(storage.location) / "reports"
    return set(folder.iterdir()) if folder.exists() else set()


@pytest.fixture
def report():
    startup = StartupFactory(name="Cantine du Larzac")
    agent = UserFactory()
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    return services.report_request(
        kind=ReportKind.STARTUP, subject=startup, public=False, user=agent, **PERIOD
    )


def test_a_full_disk_fails_the_report_with_a_french_reason_and_leaves_no_partial_file(
    report, storage, disk_full
):
    before = stored_files(storage)

    status = services.report_run(report.pk)

    assert status == ReportStatus.FAILED
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "l’espace de stockage est plein" in report.error
    assert not report.pdf and not report.sha256 and report.size is None
    # The first kilobyte had been written under the report's name: it is gone.
    assert stored_files(storage) == before


def test_once_there_is_room_again_the_retry_stores_one_whole_file(
    report, storage, disk_full, monkeypatch, django_capture_on_commit_callbacks
):
    before = stored_files(storage)
    services.report_run(report.pk)
    report.refresh_from_db()
    monkeypatch.undo()  # room again

    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(report, user=report.requested_by)

    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.attempts == 2 and report.error == ""
    (new_file,) = stored_files(storage) - before
    content = new_file.read_bytes()
    assert content.startswith(b"%PDF") and content.rstrip().endswith(b"%%EOF")
    assert hashlib.sha256(content).hexdigest() == report.sha256
    assert report.pdf.name == f"reports/{new_file.name}"

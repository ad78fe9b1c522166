"""The task worker's memory: a generated report leaves nothing behind it in the process.

A report's data and PDF form reference cycles (Django's prefetch caches, reportlab's
document and canvas) that only the cycle collector frees; left to Python's schedule,
they piled up between two full collections and the worker's RSS rose in steps. The
measure over 2,000 reports: `bench/worker_memory.py`.
"""

import datetime
import gc

import pytest

from incubator import services, tasks
from incubator.enums import MembershipRole, ReportKind, ReportStatus
from incubator.models import Membership, Report
from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports():
    startup = StartupFactory(name="Cantine du Larzac")
    agent = UserFactory()
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    return [
        services.report_request(
            kind=ReportKind.STARTUP,
            subject=startup,
            start=datetime.date(year, 1, 1),
            end=datetime.date(year, 12, 31),
            public=False,
            user=agent,
        )
        for year in (2024, 2025)
    ]


def test_a_generated_report_leaves_no_garbage_for_a_later_collection(reports):
    first, second = reports
    tasks.generate_report.call(first.pk)  # the worker's first report: warm
    gc.collect()

    tasks.generate_report.call(second.pk)

    assert Report.objects.get(pk=second.pk).status == ReportStatus.DONE
    assert gc.collect() == 0  # its data and PDF were freed when the task ended

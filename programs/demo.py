"""Demo contributions: what the demo territories owe and have paid (development only)."""

import datetime

from django.db import transaction
from django.utils import timezone

from incubator.models import Sponsorship
from programs.models import Contribution, ContributionKind, ContributionStatus


@transaction.atomic
def seed_demo_contributions() -> int:
    """One yearly contribution per sponsorship of a programme startup (idempotent)."""
    today = timezone.localdate()
    created = 0
    sponsorships = Sponsorship.objects.filter(startup__cohort__isnull=False).select_related(
        "startup__cohort__program", "territory"
    )
    for index, sponsorship in enumerate(sponsorships.order_by("pk")):
        amount = sponsorship.startup.cohort.program.contribution_cents_per_year
        for year in (today.year - 1, today.year):
            status = (
                ContributionStatus.PAID
                if year < today.year or index % 3 == 0
                else ContributionStatus.DUE
            )
            _, was_created = Contribution.objects.get_or_create(
                territory=sponsorship.territory,
                sponsorship=sponsorship,
                period_start=datetime.date(year, 1, 1),
                defaults={
                    "kind": ContributionKind.SPONSORSHIP,
                    "period_end": datetime.date(year, 12, 31),
                    "amount_cents": amount,
                    "paid_cents": amount if status == ContributionStatus.PAID else 0,
                    "due_date": datetime.date(year, 3, 31),
                    "status": status,
                },
            )
            created += was_created
    return created

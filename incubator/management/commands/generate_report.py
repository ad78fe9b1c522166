"""`manage.py generate_report KIND IDENTIFIER --output FILE.pdf`: one progress report as PDF.

    generate_report startup cantine-locale --period 2025 --public --output rapport.pdf
    generate_report cohort programme-occitanie-2024 --from 2025-01-01 --to 2025-06-30 ...
    generate_report territory departement-gironde --period 2025 --output territoire.pdf
    generate_report incubator incubateur-occitanie --period 2025 --output annuel.pdf

For `incubator` (the annual report), --period is the year; --from/--to are refused.

Everything is checked and rendered before the file is written: on any error,
nothing is written.
"""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from incubator.exceptions import IncubatorError
from incubator.models import Incubator, Startup, Territory
from incubator.reports.data import cohort_report_data, startup_report_data
from incubator.reports.data_network import incubator_report_data, territory_report_data
from incubator.reports.pdf import render_cohort_report, render_startup_report
from incubator.reports.pdf_network import render_incubator_report, render_territory_report
from programs.models import Cohort

KINDS = ("startup", "cohort", "territory", "incubator")


def _day(value: str, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s : « %(value)s » n’est pas une date au format AAAA-MM-JJ.")
            % {"option": option, "value": value}
        ) from None


def parse_period(
    *, period: str | None, start: str | None, end: str | None, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The report period from the options; the current calendar year by default."""
    if period and (start or end):
        raise CommandError(_("Choisissez --period ou bien --from et --to, pas les deux."))
    if period:
        if not (len(period) == 4 and period.isdigit() and int(period) >= 1900):
            raise CommandError(
                _("--period : « %(value)s » n’est pas une année (AAAA).") % {"value": period}
            )
        year = int(period)
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if start or end:
        if not (start and end):
            raise CommandError(_("Indiquez à la fois --from et --to."))
        first, last = _day(start, "--from"), _day(end, "--to")
        if first > last:
            raise CommandError(_("--from doit précéder --to."))
        return first, last
    return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)


class Command(BaseCommand):
    help = (
        "Produit le rapport PDF d’une startup, d’une promotion ou d’un territoire pour une "
        "période, ou le rapport annuel d’un incubateur (l’année civile en cours par défaut)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", choices=KINDS, help="startup, cohort, territory ou incubator (rapport annuel)."
        )
        parser.add_argument(
            "identifier",
            help="Identifiant d’URL (slug) de la startup, de la promotion, du territoire "
            "ou de l’incubateur.",
        )
        parser.add_argument(
            "--period", help="Une année civile (AAAA) ; pour incubator, l’année du rapport."
        )
        parser.add_argument("--from", dest="start", help="Début de période (AAAA-MM-JJ).")
        parser.add_argument("--to", dest="end", help="Fin de période (AAAA-MM-JJ).")
        parser.add_argument(
            "--public",
            action="store_true",
            help="Version publique : sans données privées (noms, notes, leçons privées…).",
        )
        parser.add_argument("--output", required=True, help="Fichier PDF à écrire.")

    def handle(self, *args, kind, identifier, period, start, end, public, output, **options):
        if kind == "incubator" and (start or end):
            raise CommandError(
                _("Le rapport annuel d’incubateur porte sur une année : utilisez --period AAAA.")
            )
        first, last = parse_period(period=period, start=start, end=end, today=timezone.localdate())
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(
                _("Le dossier « %(folder)s » n’existe pas.") % {"folder": target.parent}
            )
        try:
            content = self._render(kind, identifier, first=first, last=last, public=public)
        except IncubatorError as exc:
            raise CommandError(exc.message) from exc

        # Only now, with the whole PDF in memory: an error above leaves no file behind.
        try:
            target.write_bytes(content)
        except OSError as exc:
            raise CommandError(
                _("Impossible d’écrire « %(path)s » : %(error)s")
                % {"path": target, "error": exc.strerror}
            ) from exc
        self.stdout.write(
            _("Rapport écrit dans %(path)s (%(size)s octets).")
            % {"path": target, "size": len(content)}
        )

    def _render(
        self, kind: str, identifier: str, *, first: datetime.date, last: datetime.date, public
    ) -> bytes:
        if kind == "startup":
            startup = Startup.objects.filter(archived_at__isnull=True, slug=identifier).first()
            if startup is None:
                raise CommandError(
                    _("Aucune startup d’identifiant « %(slug)s ».") % {"slug": identifier}
                )
            data = startup_report_data(startup=startup, start=first, end=last, public=public)
            return render_startup_report(data)
        if kind == "cohort":
            cohort = Cohort.objects.filter(slug=identifier).first()
            if cohort is None:
                raise CommandError(
                    _("Aucune promotion d’identifiant « %(slug)s ».") % {"slug": identifier}
                )
            data = cohort_report_data(cohort=cohort, start=first, end=last, public=public)
            return render_cohort_report(data)
        if kind == "territory":
            territory = Territory.objects.filter(slug=identifier).first()
            if territory is None:
                raise CommandError(
                    _("Aucun territoire d’identifiant « %(slug)s ».") % {"slug": identifier}
                )
            data = territory_report_data(territory=territory, start=first, end=last, public=public)
            return render_territory_report(data)
        incubator = Incubator.objects.filter(slug=identifier).first()
        if incubator is None:
            raise CommandError(
                _("Aucun incubateur d’identifiant « %(slug)s ».") % {"slug": identifier}
            )
        data = incubator_report_data(incubator=incubator, year=first.year, public=public)
        return render_incubator_report(data)

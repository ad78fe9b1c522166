"""`manage.py import_betagouv PATH`: the beta.gouv.fr content folder into the platform."""

from django.core.management.base import BaseCommand, CommandError

from incubator.importers.betagouv import BetagouvSourceError, import_betagouv


class Command(BaseCommand):
    help = (
        "Importe les startups, organisations et incubateurs publiés par beta.gouv.fr "
        "(dossier contenant _startups, _organisations, _incubators). Relancer l’import "
        "met à jour sans rien dupliquer."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Dossier des contenus beta.gouv.fr.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Tout lire et tout vérifier, puis annuler : rien n’est enregistré.",
        )

    def handle(self, *args, path, dry_run=False, verbosity=1, **options):
        try:
            report = import_betagouv(path, dry_run=dry_run)
        except BetagouvSourceError as exc:
            raise CommandError(exc.message) from exc
        for line in report.summary_lines(details=verbosity >= 1):
            self.stdout.write(line)

"""`manage.py import_data DIR [--replace]`: restore what `export_data DIR` wrote.

Everything is checked before anything is written; see docs/operations.md.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from incubator.data_transfer import DataTransferError, import_data


class Command(BaseCommand):
    help = (
        "Restaure un export de export_data : toute la base et les fichiers stockés. "
        "Refuse une base qui contient déjà des données, sauf avec --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Dossier écrit par export_data.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Remplacer toutes les données de la base cible (sans cela, elle doit être neuve).",
        )

    def handle(self, *args, directory, replace=False, **options):
        try:
            manifest = import_data(Path(directory), replace=replace)
        except DataTransferError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"]:
            self.stdout.write(
                _(
                    "Import terminé : %(rows)s lignes et %(files)s fichiers restaurés depuis "
                    "l’export du %(created_at)s. Les sessions ont été fermées : chacun se "
                    "reconnecte."
                )
                % {
                    "rows": sum(entry["rows"] for entry in manifest["models"]),
                    "files": len(manifest["files"]),
                    "created_at": manifest["created_at"],
                }
            )

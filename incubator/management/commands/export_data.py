"""`manage.py export_data DIR`: every record and every stored file, for a backup or a move.

See docs/operations.md; `import_data DIR` restores it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from incubator.data_transfer import DataTransferError, export_data


class Command(BaseCommand):
    help = (
        "Exporte toutes les données (base et fichiers stockés) dans un nouveau dossier, "
        "avec un manifeste qui permet de les vérifier et de les réimporter (import_data)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Dossier à créer (ou vide) où écrire l’export.")

    def handle(self, *args, directory, **options):
        try:
            manifest = export_data(Path(directory))
        except DataTransferError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"]:
            self.stdout.write(
                _(
                    "Export terminé dans %(path)s : %(rows)s lignes (%(models)s tables), "
                    "%(files)s fichiers."
                )
                % {
                    "path": directory,
                    "rows": sum(entry["rows"] for entry in manifest["models"]),
                    "models": len(manifest["models"]),
                    "files": len(manifest["files"]),
                }
            )

"""manage.py faq_import PATH: load FAQ items from JSONL, updating items with the same id (all or nothing)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from callcenter import services
from callcenter.models import FaqItem


class Command(BaseCommand):
    help = 'Import FAQ items from JSONL lines {"id","category","question","answer"}; upsert by id.'

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--status", choices=FaqItem.Status.values, default=FaqItem.Status.PUBLISHED)
        parser.add_argument("--visibility", choices=FaqItem.Visibility.values, default=FaqItem.Visibility.PUBLIC)

    def handle(self, *args, path, status, visibility, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        with file.open(encoding="utf-8-sig") as handle:
            result = services.faq_import(actor=None, lines=handle, status=status, visibility=visibility)
        if result.errors:
            raise CommandError("Nothing imported:\n" + "\n".join(result.errors))
        self.stdout.write(f"FAQ import: {result.created} created, {result.updated} updated, "
                          f"{result.unchanged} unchanged.")

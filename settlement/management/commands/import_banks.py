"""Import or refresh banks and branches from the installed zengin-code package (rerunnable)."""

from django.core.management.base import BaseCommand

from settlement.banks import import_banks


class Command(BaseCommand):
    help = ("Import banks and branches from the zengin-code package. Rerunnable: rows gone from the data are "
            "marked inactive, never deleted. Upgrade the zengin-code package first to get newer data.")

    def handle(self, *args, **options):
        summary = import_banks()
        for label, counts in (("banks", summary.banks), ("branches", summary.branches)):
            self.stdout.write(
                f"{label}: {counts.created} created, {counts.updated} updated, "
                f"{counts.reactivated} reactivated, {counts.retired} retired"
            )

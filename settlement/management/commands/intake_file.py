"""Read a scanner file into an envelope, as an upload does, and print one line per verification class."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from settlement.intake import IntakeError, envelope_read
from settlement.models import Envelope, SerialRead


class Command(BaseCommand):
    help = "Verify the ticket codes in PATH for envelope NUMBER; exits non-zero when the file is refused."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--envelope", required=True, help="envelope number (12 digits)")
        parser.add_argument("--user", help="staff user recorded as the reader (default: the first superuser)")
        parser.add_argument("--accept-good-lines", action="store_true",
                            help="read the readable lines even if some lines cannot be read")

    def handle(self, *args, path, envelope, user, accept_good_lines, **options):
        envelope_obj = Envelope.objects.filter(number=envelope).first()
        if envelope_obj is None:
            raise CommandError(f"No envelope numbered {envelope}.")
        User = get_user_model()
        actor = (User.objects.filter(username=user).first() if user
                 else User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first())
        if actor is None:
            raise CommandError("No such user; pass --user USERNAME.")
        try:
            content = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            report = envelope_read(actor=actor, envelope=envelope_obj, source=SerialRead.Source.SCANNER,
                                   content=content, file_name=Path(path).name, accept_good_lines=accept_good_lines)
        except IntakeError as exc:
            for error in exc.errors[:50]:
                self.stderr.write(f"line {error.line_no}: {error.reason}: {error.text}")
            raise CommandError(str(exc)) from exc
        for cls, count in sorted(report.counts.items()):
            self.stdout.write(f"{cls} {count}")
        if report.skipped:
            self.stdout.write(f"unreadable_lines_skipped {len(report.skipped)}")
        self.stdout.write(f"accepted_amount {report.accepted_amount}")

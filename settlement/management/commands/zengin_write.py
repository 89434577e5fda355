"""Write a Zengin 総合振込 file: `manage.py zengin_write --batch ID --out FILE` for an approved batch, or
`manage.py zengin_write --json INPUT --out FILE` to encode a JSON description with the same encoder."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaign.jobs import JobError
from settlement import zengin
from settlement.models import SettlementBatch


class Command(BaseCommand):
    help = "Write a Zengin transfer file from an approved batch or from a JSON description."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--batch", type=int)
        source.add_argument("--json", dest="json_path")
        parser.add_argument("--out", required=True)

    def handle(self, *args, **options):
        out = Path(options["out"])
        if options["batch"] is not None:
            from settlement.payout_documents import write_zengin

            batch = SettlementBatch.objects.select_related("cutoff").filter(pk=options["batch"]).first()
            if batch is None:
                raise CommandError(f"No batch {options['batch']}.")
            tmp = out.with_name(out.name + ".part")
            try:
                with tmp.open("wb") as handle:
                    count = write_zengin(batch, handle)
            except JobError as exc:
                tmp.unlink(missing_ok=True)
                raise CommandError(str(exc)) from None
            tmp.replace(out)
            self.stdout.write(f"{count} transfers, ¥{batch.amount:,} → {out}")
            return
        try:
            spec = json.loads(Path(options["json_path"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the JSON input: {exc}") from None
        if not isinstance(spec, dict) or not isinstance(spec.get("header"), dict) or not isinstance(
                spec.get("transfers"), list):
            raise CommandError("The JSON input needs a \"header\" object and a \"transfers\" list.")
        try:
            data = zengin.transfer_file(spec["header"], spec["transfers"], newline=spec.get("newline", "CRLF"))
        except zengin.ZenginFileError as exc:
            raise CommandError(str(exc)) from None
        out.write_bytes(data)
        self.stdout.write(f"{len(spec['transfers'])} transfers → {out}")

"""The outputs of an approved settlement batch: the Zengin transfer file, the payout list (Excel), one payment
notice (支払通知書) PDF per merchant with a zip of them all, and the batch summary PDF.

Every output is deterministic — the same batch gives the same bytes, however often and wherever it is generated:
rows come in merchant-number order, PDFs are written with reportlab's ``invariant`` mode, zip entries and the
workbook's metadata carry the payment date instead of the clock. That is what lets a killed worker simply be
run again: the rerun writes the identical file, and the stored ``BatchOutput`` row is replaced, never doubled.

Outputs are background jobs (``campaign.jobs``); each checks that the batch is approved before writing a byte.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, time

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from campaign.exports import neutralize
from campaign.jobs import JobError, job_kind
from campaign.pdf import JAPANESE_FONT, new_canvas
from settlement import zengin
from settlement.models import BatchEnvelope, BatchOutput, PayoutLine, SettlementBatch

ACCOUNT_TYPES = {"1": "普通", "2": "当座", "4": "貯蓄", "9": "その他"}
HOLD_LABELS = {code: str(label) for code, label in PayoutLine.HoldReason.choices}
IN_FILE = (PayoutLine.Status.PAYABLE, PayoutLine.Status.PAID, PayoutLine.Status.FAILED)
CHUNK = 5000


def _check_released(batch: SettlementBatch) -> None:
    # Read from the database, not the object: approval may have happened since it was loaded.
    if not SettlementBatch.objects.filter(pk=batch.pk).exclude(status=SettlementBatch.Status.PREPARED).exists():
        raise JobError(_("The batch has not been approved yet; nothing leaves the system before approval."))


def _fixed_moment(batch: SettlementBatch) -> datetime:
    """The timestamp every output carries: the payment date at midnight (never the clock)."""
    return datetime.combine(batch.cutoff.payment_date, time(0, 0))


def transfer_lines(batch: SettlementBatch) -> Iterator[PayoutLine]:
    """The lines that go into the bank file, in merchant-number order (held lines never do)."""
    qs = (batch.lines.filter(status__in=IN_FILE).select_related("merchant")
          .order_by("merchant__merchant_number", "pk"))
    yield from qs.iterator(chunk_size=CHUNK)


# --- Zengin -------------------------------------------------------------------------------------------------

def write_zengin(batch: SettlementBatch, out, progress=None) -> int:
    """Write the batch's 総合振込 file; returns the number of transfers. Count and sum are checked against the
    batch before anything is written (the encoder builds the whole file first)."""
    _check_released(batch)

    def transfers():
        for line in transfer_lines(batch):
            yield {"bank_code": line.bank_code, "bank_name": line.bank_kana, "branch_code": line.branch_code,
                   "branch_name": line.branch_kana, "account_type": line.account_type,
                   "account_number": line.account_number, "payee_name": line.holder_kana, "amount": line.amount,
                   "customer_code1": line.merchant.merchant_number}

    expected = batch.lines.filter(status__in=IN_FILE)
    try:
        data = zengin.transfer_file(zengin.settings_header(batch.cutoff.payment_date), transfers(),
                                    newline=settings.ZENGIN_NEWLINE, expected_count=expected.count(),
                                    expected_total=batch.amount)
    except zengin.ZenginFileError as exc:
        raise JobError(_("The transfer file cannot be written: %(error)s") % {"error": exc}) from None
    out.write(data)
    return expected.count()


# --- Excel --------------------------------------------------------------------------------------------------

def _deterministic_zip(data: bytes, moment: datetime) -> bytes:
    """Rewrite a zip (an .xlsx) with every entry dated ``moment`` and in the same order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=moment.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            out.writestr(entry, source.read(info.filename))
    return target.getvalue()


def list_header() -> list[str]:
    return [_("Merchant number"), _("Store name"), _("Status"), _("Hold reasons"), _("Envelopes"), _("Tickets"),
            _("Redeemed amount (yen)"), _("Adjustments (yen)"), _("Carried (yen)"), _("Amount (yen)"),
            _("Bank code"), _("Bank"), _("Branch code"), _("Branch"), _("Account type"), _("Account number"),
            _("Account holder")]


def list_rows(batch: SettlementBatch, progress=None):
    qs = batch.lines.select_related("merchant").order_by("merchant__merchant_number", "pk")
    total = max(1, batch.merchants + batch.held)
    for n, line in enumerate(qs.iterator(chunk_size=CHUNK), start=1):
        # The status as frozen at the close (paid/failed come later and must not change the file's bytes).
        status = PayoutLine.Status.HELD.label if line.status == PayoutLine.Status.HELD else PayoutLine.Status.PAYABLE.label
        yield [line.merchant.merchant_number, line.merchant.store_name, str(status),
               " / ".join(HOLD_LABELS.get(r, r) for r in line.hold_reasons), line.envelopes, line.tickets,
               line.redeemed_amount, line.adjustment, line.carried_amount, line.amount, line.bank_code,
               line.bank_name, line.branch_code, line.branch_name, ACCOUNT_TYPES.get(line.account_type, ""),
               line.masked_account, line.holder_kana]
        if progress and n % CHUNK == 0:
            progress(min(95, n * 95 // total), _("%(n)d lines") % {"n": n})


def write_payout_list(batch: SettlementBatch, out, progress=None) -> int:
    """The payout list as Excel: one row per line (held ones too, with the reason), totals at the end. Account
    numbers are masked: the list circulates more widely than the bank file."""
    _check_released(batch)
    workbook = Workbook(write_only=True)
    moment = _fixed_moment(batch)
    workbook.properties.created = moment
    workbook.properties.modified = moment
    workbook.properties.creator = "Jimukyoku"
    sheet = workbook.create_sheet(title=_("Payouts"))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for value in list_header():
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in list_rows(batch, progress):
        sheet.append([neutralize(v) for v in row])
        count += 1
    sheet.append([])
    sheet.append([_("Total to pay"), "", "", "", batch.envelopes, "", "", "", "", batch.amount])
    sheet.append([_("Total held"), "", "", "", "", "", "", "", "", batch.held_amount])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl stamps "modified" with the clock at save time and dates zip entries with it: undo both.
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        core = source.read("docProps/core.xml").decode()
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{stamp}\g<3>", core)
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, core if info.filename == "docProps/core.xml" else source.read(info))
    out.write(_deterministic_zip(patched.getvalue(), moment))
    return count


# --- Payment notices ----------------------------------------------------------------------------------------

def _yen(amount: int) -> str:
    return f"{amount:,}円"


def envelopes_by_line(line_ids) -> dict[int, list[tuple[str, str, int]]]:
    rows: dict[int, list] = {}
    for line_id, number, received_on, amount in (
            BatchEnvelope.objects.filter(line_id__in=list(line_ids))
            .order_by("envelope__number").values_list("line_id", "envelope__number", "envelope__received_on",
                                                      "amount")):
        rows.setdefault(line_id, []).append((number, received_on.isoformat() if received_on else "", amount))
    return rows


def draw_notice(canvas, batch: SettlementBatch, line: PayoutLine, envelopes: list) -> int:
    """Draw one merchant's payment notice on the canvas; returns the pages drawn."""
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    pages = 1

    def header():
        canvas.setFont(JAPANESE_FONT, 16)
        canvas.drawCentredString(width / 2, height - 25 * mm, "支払通知書")
        canvas.setFont(JAPANESE_FONT, 10.5)

    header()
    merchant = line.merchant
    y = height - 40 * mm
    canvas.drawString(left, y, f"〒{merchant.postal_code[:3]}-{merchant.postal_code[3:]} {merchant.address}")
    canvas.drawString(left, y - 6 * mm, f"{merchant.store_name} 御中")
    canvas.drawRightString(right, y, f"加盟店番号 {merchant.merchant_number}")
    canvas.drawRightString(right, y - 6 * mm, f"締日 {batch.cutoff.cutoff_date:%Y年%m月%d日}")
    y -= 20 * mm
    canvas.drawString(left, y, "下記のとおりお支払いいたします。")
    y -= 10 * mm
    canvas.setFont(JAPANESE_FONT, 14)
    canvas.drawString(left, y, f"お支払金額  {_yen(line.amount)}")
    canvas.drawRightString(right, y, f"お支払日  {batch.cutoff.payment_date:%Y年%m月%d日}")
    canvas.setFont(JAPANESE_FONT, 10.5)
    y -= 8 * mm
    account = (f"振込先  {line.bank_name} {line.branch_name}支店  {ACCOUNT_TYPES.get(line.account_type, '')} "
               f"{line.masked_account}  {line.holder_kana}")
    canvas.drawString(left, y, account)
    y -= 12 * mm
    canvas.drawString(left, y, "券種別内訳")
    canvas.drawRightString(left + 110 * mm, y, "枚数")
    canvas.drawRightString(right, y, "金額")
    canvas.line(left, y - 2 * mm, right, y - 2 * mm)
    y -= 8 * mm
    for cell in line.per_denomination.values():
        canvas.drawString(left, y, cell["name"])
        canvas.drawRightString(left + 110 * mm, y, f"{cell['tickets']:,}枚")
        canvas.drawRightString(right, y, _yen(cell["amount"]))
        y -= 6 * mm
    canvas.drawString(left, y, "調査による調整額")
    canvas.drawRightString(right, y, _yen(line.adjustment))
    y -= 6 * mm
    if line.carried_amount:
        canvas.drawString(left, y, "前回振込不能分の再振込")
        canvas.drawRightString(right, y, _yen(line.carried_amount))
        y -= 6 * mm
    canvas.line(left, y + 4 * mm, right, y + 4 * mm)
    canvas.drawString(left, y - 1 * mm, "合計")
    canvas.drawRightString(right, y - 1 * mm, _yen(line.amount))
    y -= 14 * mm
    canvas.drawString(left, y, "封筒明細")
    canvas.drawString(left + 60 * mm, y, "受付日")
    canvas.drawRightString(right, y, "金額")
    canvas.line(left, y - 2 * mm, right, y - 2 * mm)
    y -= 8 * mm
    for number, received_on, amount in envelopes:
        if y < 25 * mm:
            canvas.showPage()
            pages += 1
            header()
            y = height - 40 * mm
        canvas.drawString(left, y, number)
        canvas.drawString(left + 60 * mm, y, received_on)
        canvas.drawRightString(right, y, _yen(amount))
        y -= 6 * mm
    canvas.setFont(JAPANESE_FONT, 8)
    canvas.drawString(left, 15 * mm, f"{batch.campaign.name} 事務局")
    canvas.showPage()
    return pages


def notice_pdf(batch: SettlementBatch, line: PayoutLine, envelopes: list | None = None) -> bytes:
    """One merchant's payment notice as PDF bytes (the same bytes in the zip and in the portal)."""
    if envelopes is None:
        envelopes = envelopes_by_line([line.pk]).get(line.pk, [])
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=f"支払通知書 {line.merchant.merchant_number} {batch.cutoff.payment_date}",
                        invariant=True)
    pages = draw_notice(canvas, batch, line, envelopes)
    canvas.save()
    line._pages = pages
    return buffer.getvalue()


def notice_name(batch: SettlementBatch, line: PayoutLine) -> str:
    return f"notice-{batch.cutoff.payment_date:%Y%m%d}-{line.merchant.merchant_number}.pdf"


def write_notices_zip(batch: SettlementBatch, out, progress=None) -> int:
    """A zip with one notice PDF per paid merchant, entries dated with the payment date."""
    _check_released(batch)
    moment = _fixed_moment(batch).timetuple()[:6]
    total = max(1, batch.merchants)
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = list(transfer_lines(batch))
        for start in range(0, len(lines), 1000):
            chunk = lines[start:start + 1000]
            envelopes = envelopes_by_line(line.pk for line in chunk)
            for line in chunk:
                entry = zipfile.ZipInfo(notice_name(batch, line), date_time=moment)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o600 << 16
                archive.writestr(entry, notice_pdf(batch, line, envelopes.get(line.pk, [])))
                count += 1
            if progress:
                progress(min(99, count * 100 // total), _("%(n)d notices") % {"n": count})
    return count


# --- Summary ------------------------------------------------------------------------------------------------

def write_summary(batch: SettlementBatch, out, progress=None) -> int:
    """The batch summary for the approver and the files: totals, per denomination, held lines with reasons."""
    _check_released(batch)
    canvas = new_canvas(out, title=f"精算バッチ集計 {batch.cutoff.cutoff_date}", invariant=True)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    canvas.setFont(JAPANESE_FONT, 16)
    canvas.drawCentredString(width / 2, height - 25 * mm, "精算バッチ集計表")
    canvas.setFont(JAPANESE_FONT, 10.5)
    y = height - 40 * mm
    rows = [
        ("キャンペーン", batch.campaign.name),
        ("締日", f"{batch.cutoff.cutoff_date:%Y年%m月%d日}"),
        ("支払日", f"{batch.cutoff.payment_date:%Y年%m月%d日}"),
        ("区分", "臨時" if batch.cutoff.kind == "extraordinary" else "定例"),
        ("作成者", batch.prepared_by.get_username() if batch.prepared_by else "自動締め"),
        ("承認者", batch.approved_by.get_username() if batch.approved_by else ""),
        ("封筒数", f"{batch.envelopes:,}"),
        ("支払加盟店数", f"{batch.merchants:,}"),
        ("支払総額", _yen(batch.amount)),
        ("保留加盟店数", f"{batch.held:,}"),
        ("保留総額", _yen(batch.held_amount)),
    ]
    for label, value in rows:
        canvas.drawString(left, y, label)
        canvas.drawString(left + 45 * mm, y, value)
        y -= 7 * mm
    totals: dict[str, list] = {}
    for per in batch.lines.filter(status__in=IN_FILE).values_list("per_denomination", flat=True).iterator():
        for code, cell in per.items():
            slot = totals.setdefault(code, [cell["name"], 0, 0])
            slot[1] += cell["tickets"]
            slot[2] += cell["amount"]
    y -= 5 * mm
    canvas.drawString(left, y, "券種別")
    y -= 7 * mm
    for code in sorted(totals):
        name, tickets, amount = totals[code]
        canvas.drawString(left, y, name)
        canvas.drawRightString(left + 110 * mm, y, f"{tickets:,}枚")
        canvas.drawRightString(right, y, _yen(amount))
        y -= 6 * mm
    y -= 6 * mm
    canvas.drawString(left, y, "保留（次回以降に繰越）")
    y -= 7 * mm
    for line in batch.lines.filter(status=PayoutLine.Status.HELD).select_related("merchant").order_by(
            "merchant__merchant_number"):
        if y < 25 * mm:
            canvas.showPage()
            canvas.setFont(JAPANESE_FONT, 10.5)
            y = height - 25 * mm
        reasons = "、".join(HOLD_LABELS.get(r, r) for r in line.hold_reasons)
        canvas.drawString(left, y, f"{line.merchant.merchant_number} {line.merchant.store_name}"[:40])
        canvas.drawRightString(right, y, _yen(line.amount))
        canvas.setFont(JAPANESE_FONT, 8)
        canvas.drawString(left + 10 * mm, y - 4 * mm, reasons)
        canvas.setFont(JAPANESE_FONT, 10.5)
        y -= 10 * mm
    canvas.showPage()
    canvas.save()
    return batch.merchants


# --- Jobs ---------------------------------------------------------------------------------------------------

WRITERS = {
    BatchOutput.Kind.ZENGIN: (write_zengin, "zengin-{cutoff}-{paid}.txt"),
    BatchOutput.Kind.LIST: (write_payout_list, "payouts-{cutoff}-{paid}.xlsx"),
    BatchOutput.Kind.NOTICES: (write_notices_zip, "notices-{cutoff}-{paid}.zip"),
    BatchOutput.Kind.SUMMARY: (write_summary, "batch-summary-{cutoff}-{paid}.pdf"),
}


def output_name(batch: SettlementBatch, kind: str) -> str:
    return WRITERS[kind][1].format(cutoff=f"{batch.cutoff.cutoff_date:%Y%m%d}",
                                   paid=f"{batch.cutoff.payment_date:%Y%m%d}")


def generate_output(batch: SettlementBatch, kind: str, out, progress=None) -> BatchOutput:
    """Write one output into ``out`` and store it as the batch's ``BatchOutput`` of that kind (replacing an
    earlier generation of the same bytes; a different result for an approved batch is refused)."""
    writer, _pattern = WRITERS[kind]
    buffer = io.BytesIO()
    records = writer(batch, buffer, progress)
    data = buffer.getvalue()
    out.write(data)
    digest = hashlib.sha256(data).hexdigest()
    name = output_name(batch, kind)
    with transaction.atomic():
        existing = BatchOutput.objects.select_for_update().filter(batch=batch, kind=kind).first()
        if existing is not None:
            if existing.sha256 != digest:
                raise JobError(_("The regenerated %(kind)s differs from the stored one; the batch data has changed. "
                                 "Contact the system administrator.") % {"kind": existing.get_kind_display()})
            existing.generations += 1
            existing.save(update_fields=["generations", "generated_at"])
            return existing
        output = BatchOutput(batch=batch, kind=kind, file_name=name, sha256=digest, size=len(data), records=records)
        output.file.save(name, ContentFile(data), save=False)
        output.save()
        return output


def _run(kind: str):
    def run(job, out, progress) -> str:
        batch = SettlementBatch.objects.select_related("cutoff", "campaign", "prepared_by", "approved_by").get(
            pk=job.params["batch"])
        progress(0, _("Starting"))
        generate_output(batch, kind, out, progress)
        return output_name(batch, kind)
    return run


job_kind("payouts_zengin", label=gettext_lazy("Zengin transfer file"), capability="settlement.approve")(
    _run(BatchOutput.Kind.ZENGIN))
job_kind("payouts_list", label=gettext_lazy("Payout list (Excel)"), capability="settlement.intake")(
    _run(BatchOutput.Kind.LIST))
job_kind("payouts_notices", label=gettext_lazy("Payment notices (zip)"), capability="settlement.intake")(
    _run(BatchOutput.Kind.NOTICES))
job_kind("payouts_summary", label=gettext_lazy("Batch summary (PDF)"), capability="settlement.intake")(
    _run(BatchOutput.Kind.SUMMARY))

JOB_KINDS = {BatchOutput.Kind.ZENGIN: "payouts_zengin", BatchOutput.Kind.LIST: "payouts_list",
             BatchOutput.Kind.NOTICES: "payouts_notices", BatchOutput.Kind.SUMMARY: "payouts_summary"}
# Who may download a stored output (the bank file carries full account numbers).
DOWNLOAD_CAPABILITY = {BatchOutput.Kind.ZENGIN: "settlement.approve", BatchOutput.Kind.LIST: "settlement.view",
                       BatchOutput.Kind.NOTICES: "settlement.view", BatchOutput.Kind.SUMMARY: "settlement.view"}

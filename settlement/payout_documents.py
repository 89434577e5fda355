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
import zipfile
from collections.abc import Iterator
from datetime import datetime, time
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
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

    merchants: list[str] = []

    def transfers():
        qs = (batch.lines.filter(status__in=IN_FILE).order_by("merchant__merchant_number", "pk")
              .values_list("bank_code", "bank_kana", "branch_code", "branch_kana", "account_type", "account_number",
                           "holder_kana", "amount", "merchant__merchant_number"))
        for bank_code, bank, branch_code, branch, account_type, number, holder, amount, merchant in qs.iterator(
                chunk_size=CHUNK):
            merchants.append(merchant)
            yield {"bank_code": bank_code, "bank_name": bank, "branch_code": branch_code, "branch_name": branch,
                   "account_type": account_type, "account_number": number, "payee_name": holder, "amount": amount,
                   "customer_code1": merchant}

    expected = batch.lines.filter(status__in=IN_FILE)
    try:
        data = zengin.transfer_file(zengin.settings_header(batch.cutoff.payment_date), transfers(),
                                    newline=settings.ZENGIN_NEWLINE, expected_count=expected.count(),
                                    expected_total=batch.amount)
    except zengin.ZenginFileError as exc:
        # Name the merchant, not only the record: the clerk fixes the account holder on the merchant's page.
        if exc.field.startswith("transfers[") and merchants:
            raise JobError(_("The transfer file cannot be written: merchant %(merchant)s: %(error)s")
                           % {"merchant": merchants[-1], "error": exc}) from None
        raise JobError(_("The transfer file cannot be written: %(error)s") % {"error": exc}) from None
    out.write(data)
    return expected.count()


# --- Excel --------------------------------------------------------------------------------------------------

def _xlsx_cell(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = escape(ILLEGAL_CHARACTERS_RE.sub("", str(neutralize(value))))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


_COLUMNS = [get_column_letter(i) for i in range(1, 40)]
_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/>'
        "</Relationships>"),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"),
}


def write_deterministic_xlsx(out, header, rows, *, sheet_title: str, moment: datetime) -> int:
    """A one-sheet workbook written directly as SpreadsheetML: bold frozen header, inline strings, every zip
    entry and the document properties dated ``moment`` — the same rows always give the same bytes. (openpyxl
    stamps the clock into the file and spends ~75 µs per cell; this writes 30k rows in about a second.)"""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
             'state="frozen"/></sheetView></sheetViews><sheetData>']
    cells = "".join(_xlsx_cell(f"{_COLUMNS[c]}1", v).replace("<c ", '<c s="1" ', 1) for c, v in enumerate(header))
    parts.append(f'<row r="1">{cells}</row>')
    count = 0
    for r, row in enumerate(rows, start=2):
        parts.append(f'<row r="{r}">' + "".join(_xlsx_cell(f"{_COLUMNS[c]}{r}", v) for c, v in enumerate(row))
                     + "</row>")
        count += 1
    parts.append("</sheetData></worksheet>")
    files = dict(_XLSX_STATIC)
    files["xl/workbook.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{quoteattr(sheet_title[:31])[1:-1]}" sheetId="1" r:id="rId1"/></sheets></workbook>')
    files["docProps/core.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Jimukyoku</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
    files["xl/worksheets/sheet1.xml"] = "".join(parts)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "xl/workbook.xml",
                     "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"):
            entry = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            archive.writestr(entry, files[name].encode("utf-8"))
    return count


def list_header() -> list[str]:
    return [_("Merchant number"), _("Store name"), _("Status"), _("Hold reasons"), _("Envelopes"), _("Tickets"),
            _("Redeemed amount (yen)"), _("Adjustments (yen)"), _("Carried (yen)"), _("Amount (yen)"),
            _("Bank code"), _("Bank"), _("Branch code"), _("Branch"), _("Account type"), _("Account number"),
            _("Account holder")]


def list_rows(batch: SettlementBatch, progress=None):
    payable_label = str(PayoutLine.Status.PAYABLE.label)
    # Held and nothing-to-pay lines keep their own label; every line that reaches the bank reads "to be paid".
    labels = {status: str(PayoutLine.Status(status).label)
              for status in (PayoutLine.Status.HELD, PayoutLine.Status.NOTHING)}
    qs = (batch.lines.order_by("merchant__merchant_number", "pk")
          .values_list("merchant__merchant_number", "merchant__store_name", "status", "hold_reasons", "envelopes",
                       "tickets", "redeemed_amount", "adjustment", "carried_amount", "amount", "bank_code",
                       "bank_name", "branch_code", "branch_name", "account_type", "account_number", "holder_kana"))
    total = max(1, batch.lines.count())  # payable, held and nothing-to-pay lines
    for n, row in enumerate(qs.iterator(chunk_size=CHUNK), start=1):
        (number, store, status, reasons, envelopes, tickets, redeemed, adjustment, carried, amount, bank_code,
         bank_name, branch_code, branch_name, account_type, account_number, holder) = row
        # The status as frozen at the close (paid/failed come later and must not change the file's bytes).
        yield [number, store, labels.get(status, payable_label),
               " / ".join(HOLD_LABELS.get(r, r) for r in reasons), envelopes, tickets, redeemed, adjustment, carried,
               amount, bank_code, bank_name, branch_code, branch_name, ACCOUNT_TYPES.get(account_type, ""),
               "•" * max(0, len(account_number) - 3) + account_number[-3:], holder]
        if progress and n % CHUNK == 0:
            progress(min(95, n * 95 // total), _("%(n)d lines") % {"n": n})


def write_payout_list(batch: SettlementBatch, out, progress=None) -> int:
    """The payout list as Excel: one row per line (held and nothing-to-pay ones too, with the reason), totals at
    the end. Account numbers are masked: the list circulates more widely than the bank file."""
    _check_released(batch)
    nothing = batch.lines.filter(status=PayoutLine.Status.NOTHING).count()

    def rows():
        yield from list_rows(batch, progress)
        yield []
        yield [_("Total to pay"), "", "", "", batch.envelopes, "", "", "", "", batch.amount]
        yield [_("Total held"), "", "", "", "", "", "", "", "", batch.held_amount]
        if nothing:
            # Only when there are such lines: a batch without them keeps the bytes it always had.
            yield [_("Nothing to pay (no transfer): %(n)d merchants") % {"n": nothing}, "", "", "", "", "", "", "",
                   "", 0]

    return write_deterministic_xlsx(out, list_header(), rows(), sheet_title=_("Payouts"),
                                    moment=_fixed_moment(batch)) - (4 if nothing else 3)


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
    nothing = list(batch.lines.filter(status=PayoutLine.Status.NOTHING).select_related("merchant")
                   .order_by("merchant__merchant_number", "pk"))
    if nothing:
        # Only when there are such lines: a batch without them keeps the bytes it always had.
        rows.append(("支払対象なし加盟店数", f"{len(nothing):,}（振込なし）"))
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

    def merchant_lines(title: str, lines, y: float) -> float:
        """A titled list of lines: merchant, amount, and the reasons in small type below."""
        canvas.drawString(left, y, title)
        y -= 7 * mm
        for line in lines:
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
        return y

    y = merchant_lines("保留（次回以降に繰越）", batch.lines.filter(status=PayoutLine.Status.HELD)
                       .select_related("merchant").order_by("merchant__merchant_number"), y)
    if nothing:
        if y < 35 * mm:
            canvas.showPage()
            canvas.setFont(JAPANESE_FONT, 10.5)
            y = height - 25 * mm
        y = merchant_lines("支払対象なし（封筒は本バッチで精算済み・振込なし）", nothing, y - 6 * mm)
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

"""The outputs of an approved settlement batch: the Zengin transfer file, the payout list (Excel), one payment
notice (支払通知書) PDF per merchant with a zip of them all, and the batch summary PDF.

Every output is deterministic — the same batch gives the same bytes, however often and wherever it is generated:
rows come in merchant-number order, PDFs are written with reportlab's ``invariant`` mode, zip entries and the
workbook's metadata carry the payment date instead of the clock, and documents are dated (発行日, 決裁欄) with the
batch's approval, fixed once it happened. That is what lets a killed worker simply be run again: the rerun writes
the identical file, and the stored ``BatchOutput`` row is replaced, never doubled.

Outputs are background jobs (``campaign.jobs``); each checks that the batch is approved before writing a byte.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit

from campaign.exports import neutralize
from campaign.jobs import JobError, job_kind
from campaign.pdf import JAPANESE_FONT, new_canvas
from settlement import zengin
from settlement.bank_names import bank_full_name, branch_full_name
from settlement.models import (
    BatchEnvelope,
    BatchOutput,
    EnvelopeLine,
    Investigation,
    PayoutLine,
    ReadOutcome,
    Redemption,
    SerialRead,
    SettlementBatch,
    VerificationClass,
)
from settlement.services.payouts import hold_reasons_unique

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


def hold_reason_text(reasons, separator: str) -> str:
    """The labels of a line's reasons, each once and in order (lines closed before issue 17 may repeat one)."""
    return separator.join(HOLD_LABELS.get(r, r) for r in hold_reasons_unique(reasons))


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
               hold_reason_text(reasons, " / "), envelopes, tickets, redeemed, adjustment, carried,
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


# Why a read ticket was not paid, as the notice tells the merchant (VerificationClass, in its order).
UNPAID_LABELS = {
    VerificationClass.OUTSIDE_USAGE_PERIOD: "有効期間外",
    VerificationClass.BAD_CHECK: "偽造・読取誤り（チェックコード不一致）",
    VerificationClass.NEVER_ISSUED: "未発行",
    VerificationClass.UNSOLD: "未販売",
    VerificationClass.ALREADY_REDEEMED: "換金済み（重複）",
    VerificationClass.DUPLICATE_IN_BATCH: "同一封筒内の重複",
    VerificationClass.OTHER_CAMPAIGN: "他キャンペーン",
    VerificationClass.MERCHANT_SUSPENDED: "加盟店停止中",
}
PENDING_LABEL = "調査中（未決定）"
UNREADABLE_LABEL = "読取不能"
MISSING_LABEL = "申告枚数との差（同封なし等）"


class NoticeEnvelope(NamedTuple):
    """One envelope as its merchant's notice shows it: what was declared, what is paid, and why the rest is not."""

    number: str
    received_on: str
    amount: int
    declared: int | None  # None: no declaration lines (a staff-keyed claim without a slip)
    paid: int
    unpaid: tuple[tuple[str, int], ...]  # (Japanese reason, tickets), in UNPAID_LABELS order


def envelopes_by_line(line_ids) -> dict[int, list[NoticeEnvelope]]:
    """The envelopes of the given payout lines with their ticket accounting, in five queries whatever the number
    of lines (the notices zip calls it per thousand merchants)."""
    line_ids = list(line_ids)
    rows = list(BatchEnvelope.objects.filter(line_id__in=line_ids).order_by("envelope__number")
                .values_list("line_id", "envelope_id", "envelope__number", "envelope__received_on", "amount"))
    envelope_ids = [row[1] for row in rows]
    declared = dict(EnvelopeLine.objects.filter(envelope_id__in=envelope_ids).order_by()
                    .values("envelope_id").annotate(n=Sum("declared_tickets")).values_list("envelope_id", "n"))
    # Readings' redemptions only: a reviewer's accepted ticket also has a ``by_decision`` row, and is counted
    # once below, as its accepted investigation (the same rule as payouts._figures).
    redeemed = dict(Redemption.objects.filter(envelope_id__in=envelope_ids, by_decision=False).order_by()
                    .values("envelope_id").annotate(n=Count("book")).values_list("envelope_id", "n"))
    skipped = dict(SerialRead.objects.filter(envelope_id__in=envelope_ids).order_by()
                   .values("envelope_id").annotate(n=Sum("skipped_lines")).values_list("envelope_id", "n"))
    accepted: dict[int, int] = {}
    rejected: dict[int, dict[str, int]] = {}
    for envelope_id, verification, investigation, n in (
            ReadOutcome.objects.filter(envelope_id__in=envelope_ids).order_by()
            .values("envelope_id", "verification", "investigation__status").annotate(n=Count("id"))
            .values_list("envelope_id", "verification", "investigation__status", "n")):
        if investigation == Investigation.Status.ACCEPTED:
            accepted[envelope_id] = accepted.get(envelope_id, 0) + n
            continue
        label = PENDING_LABEL if investigation == Investigation.Status.OPEN else UNPAID_LABELS.get(verification,
                                                                                                    "その他")
        reasons = rejected.setdefault(envelope_id, {})
        reasons[label] = reasons.get(label, 0) + n
    order = {label: n for n, label in enumerate([*UNPAID_LABELS.values(), "その他", PENDING_LABEL,
                                                  UNREADABLE_LABEL, MISSING_LABEL])}
    result: dict[int, list[NoticeEnvelope]] = {}
    for line_id, envelope_id, number, received_on, amount in rows:
        paid = redeemed.get(envelope_id, 0) + accepted.get(envelope_id, 0)
        reasons = dict(rejected.get(envelope_id, {}))
        if skipped.get(envelope_id):
            reasons[UNREADABLE_LABEL] = skipped[envelope_id]
        tickets_declared = declared.get(envelope_id)
        if tickets_declared is not None:
            # What the declaration names beyond the tickets read (missing from the envelope, or unreadable and
            # not keyed): the notice must account for every declared ticket.
            missing = tickets_declared - paid - sum(reasons.values())
            if missing > 0:
                reasons[MISSING_LABEL] = missing
        result.setdefault(line_id, []).append(NoticeEnvelope(
            number, received_on.isoformat() if received_on else "", amount, tickets_declared, paid,
            tuple(sorted(reasons.items(), key=lambda kv: order[kv[0]]))))
    return result


def issue_date(batch: SettlementBatch) -> date:
    """The notice's 発行日: the day the batch was approved. Notices are issued from that moment (nothing leaves the
    system before approval) and it never changes afterwards, so a regenerated notice keeps its bytes; the payment
    date would date a notice the merchant can download today in the future. The approval is read from the
    database when the object predates it (like ``_check_released``); a batch not approved at all (never a
    released output) falls back to the payment date."""
    approved_at = batch.approved_at or (SettlementBatch.objects.filter(pk=batch.pk)
                                        .values_list("approved_at", flat=True).first())
    if approved_at is None:
        return batch.cutoff.payment_date
    return timezone.localtime(approved_at).date()


def secretariat(batch: SettlementBatch) -> tuple[str, str, str]:
    """The issuer printed on notices: its name, postal address and phone. The Campaign model carries no contact
    fields, so they come from settings (empty when not configured; the name defaults to "<campaign> 事務局")."""
    return (getattr(settings, "SECRETARIAT_NAME", "") or f"{batch.campaign.name} 事務局",
            getattr(settings, "SECRETARIAT_ADDRESS", ""), getattr(settings, "SECRETARIAT_PHONE", ""))


def draw_notice(canvas, batch: SettlementBatch, line: PayoutLine, envelopes: list[NoticeEnvelope], *,
                issued_on: date | None = None) -> int:
    """Draw one merchant's payment notice on the canvas; returns the pages drawn. ``issued_on`` saves the
    issue date's look-up when many notices are drawn."""
    issued_on = issued_on or issue_date(batch)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    merchant = line.merchant
    issuer, issuer_address, issuer_phone = secretariat(batch)
    pages = 1

    def footer():
        canvas.setFont(JAPANESE_FONT, 8)
        contact = "  ".join(part for part in (issuer, f"TEL {issuer_phone}" if issuer_phone else "") if part)
        canvas.drawString(left, 15 * mm, contact)
        canvas.drawRightString(right, 15 * mm, f"{merchant.merchant_number}  {pages}ページ")

    def new_page() -> float:
        nonlocal pages
        footer()
        canvas.showPage()
        pages += 1
        canvas.setFont(JAPANESE_FONT, 10.5)
        canvas.drawString(left, height - 20 * mm, f"支払通知書（続き）  {merchant.store_name} 御中")
        canvas.drawRightString(right, height - 20 * mm, f"加盟店番号 {merchant.merchant_number}")
        return height - 32 * mm

    canvas.setFont(JAPANESE_FONT, 16)
    canvas.drawCentredString(width / 2, height - 25 * mm, "支払通知書")
    canvas.setFont(JAPANESE_FONT, 10.5)
    y = height - 40 * mm
    # Right: the document's own data; left: the addressee (the address wraps short of the right column).
    for n, text in enumerate((f"発行日 {issued_on:%Y年%m月%d日}", f"加盟店番号 {merchant.merchant_number}",
                              f"締日 {batch.cutoff.cutoff_date:%Y年%m月%d日}")):
        canvas.drawRightString(right, y - n * 5.5 * mm, text)
    canvas.drawString(left, y, f"〒{merchant.postal_code[:3]}-{merchant.postal_code[3:]}")
    y -= 5.5 * mm
    for part in simpleSplit(merchant.address, JAPANESE_FONT, 10.5, 100 * mm):
        canvas.drawString(left, y, part)
        y -= 5.5 * mm
    canvas.setFont(JAPANESE_FONT, 12)
    for part in simpleSplit(f"{merchant.store_name} 御中", JAPANESE_FONT, 12, 100 * mm):
        y -= 1.5 * mm
        canvas.drawString(left, y, part)
        y -= 5 * mm
    # The issuer, right-aligned under the document data.
    issuer_y = height - 40 * mm - 22 * mm
    canvas.setFont(JAPANESE_FONT, 10.5)
    canvas.drawRightString(right, issuer_y, issuer)
    canvas.setFont(JAPANESE_FONT, 9)
    for text in (issuer_address, f"TEL {issuer_phone}" if issuer_phone else ""):
        if text:
            issuer_y -= 4.5 * mm
            canvas.drawRightString(right, issuer_y, text)
    canvas.setFont(JAPANESE_FONT, 10.5)
    y = min(y, issuer_y) - 10 * mm
    canvas.drawString(left, y, "下記のとおりお支払いいたします。")
    y -= 10 * mm
    canvas.setFont(JAPANESE_FONT, 14)
    canvas.drawString(left, y, f"お支払金額  {_yen(line.amount)}")
    canvas.drawRightString(right, y, f"お支払日  {batch.cutoff.payment_date:%Y年%m月%d日}")
    canvas.setFont(JAPANESE_FONT, 10.5)
    y -= 8 * mm
    bank_name = bank_full_name(line.bank_name, code=line.bank_code, kana=line.bank_kana)
    branch_name = branch_full_name(line.branch_name, bank_code=line.bank_code)
    canvas.drawString(left, y, f"振込先  {bank_name}  {branch_name}")
    y -= 5.5 * mm
    canvas.drawString(left + 14 * mm, y,
                      f"{ACCOUNT_TYPES.get(line.account_type, '')}  {line.masked_account}  {line.holder_kana}")
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

    def envelope_header(y: float) -> float:
        canvas.setFont(JAPANESE_FONT, 10.5)
        canvas.drawString(left, y, "封筒明細")
        canvas.drawString(left + 38 * mm, y, "受付日")
        canvas.drawRightString(left + 95 * mm, y, "申告枚数")
        canvas.drawRightString(left + 122 * mm, y, "支払枚数")
        canvas.drawRightString(right, y, "金額")
        canvas.line(left, y - 2 * mm, right, y - 2 * mm)
        return y - 8 * mm

    if y < 40 * mm:
        y = new_page()
    y = envelope_header(y)
    unpaid_any = False
    for envelope in envelopes:
        unpaid = sum(n for _label, n in envelope.unpaid)
        reasons = []
        if envelope.unpaid:
            unpaid_any = True
            detail = "、".join(f"{label} {n:,}枚" for label, n in envelope.unpaid)
            reasons = simpleSplit(f"支払対象外 {unpaid:,}枚：{detail}", JAPANESE_FONT, 8.5, right - left - 8 * mm)
        if y - len(reasons) * 4.5 * mm < 25 * mm:
            y = envelope_header(new_page())
        canvas.drawString(left, y, envelope.number)
        canvas.drawString(left + 38 * mm, y, envelope.received_on)
        canvas.drawRightString(left + 95 * mm, y, "—" if envelope.declared is None else f"{envelope.declared:,}枚")
        canvas.drawRightString(left + 122 * mm, y, f"{envelope.paid:,}枚")
        canvas.drawRightString(right, y, _yen(envelope.amount))
        canvas.setFont(JAPANESE_FONT, 8.5)
        for part in reasons:
            y -= 4.5 * mm
            canvas.drawString(left + 8 * mm, y, part)
        canvas.setFont(JAPANESE_FONT, 10.5)
        y -= 6.5 * mm
    if unpaid_any:
        if y < 30 * mm:
            y = new_page()
        canvas.setFont(JAPANESE_FONT, 8.5)
        canvas.drawString(left, y - 2 * mm, "※ 支払対象外の券については、事務局までお問い合わせください。")
    footer()
    canvas.showPage()
    return pages


def notice_pdf(batch: SettlementBatch, line: PayoutLine, envelopes: list | None = None, *,
               issued_on: date | None = None) -> bytes:
    """One merchant's payment notice as PDF bytes (the same bytes in the zip and in the portal)."""
    if envelopes is None:
        envelopes = envelopes_by_line([line.pk]).get(line.pk, [])
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=f"支払通知書 {line.merchant.merchant_number} {batch.cutoff.payment_date}",
                        invariant=True)
    pages = draw_notice(canvas, batch, line, envelopes, issued_on=issued_on)
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
    issued_on = issue_date(batch)
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
                archive.writestr(entry, notice_pdf(batch, line, envelopes.get(line.pk, []), issued_on=issued_on))
                count += 1
            if progress:
                progress(min(99, count * 100 // total), _("%(n)d notices") % {"n": count})
    return count


# --- Summary ------------------------------------------------------------------------------------------------

def person_name(user) -> str:
    """A staff member as documents print them: family and given name when known (「責任 花子」), else the login."""
    if user is None:
        return ""
    return f"{user.last_name} {user.first_name}".strip() or user.get_username()


def _local_date(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y年%m月%d日}" if moment else ""


def draw_approval_block(canvas, batch: SettlementBatch, *, right: float, top: float) -> float:
    """The 決裁欄 at the top right: boxes for the 起案 (preparer), 確認 and 承認 (approver) stamps, the names and
    dates the system knows printed under them (確認 is a hand stamp: no one in the system records it), and a
    決裁日 line. Only data fixed at approval is printed, so the summary keeps its bytes. Returns the bottom."""
    box_w, box_h, head_h = 25 * mm, 20 * mm, 5 * mm
    steps = [("起案", person_name(batch.prepared_by) or "自動締め", _local_date(batch.prepared_at)),
             ("確認", "", ""),
             ("承認", person_name(batch.approved_by), _local_date(batch.approved_at))]
    x0 = right - box_w * len(steps)
    canvas.setFont(JAPANESE_FONT, 9)
    canvas.drawString(x0, top + 1.5 * mm, "決裁欄")
    for n, (title, name, day) in enumerate(steps):
        x = x0 + n * box_w
        canvas.rect(x, top - head_h - box_h, box_w, head_h + box_h)
        canvas.line(x, top - head_h, x + box_w, top - head_h)
        canvas.setFont(JAPANESE_FONT, 9)
        canvas.drawCentredString(x + box_w / 2, top - head_h + 1.5 * mm, title)
        canvas.setFont(JAPANESE_FONT, 8)
        if name:
            canvas.drawCentredString(x + box_w / 2, top - head_h - box_h - 4 * mm, name[:12])
        canvas.setFont(JAPANESE_FONT, 7)
        canvas.drawCentredString(x + box_w / 2, top - head_h - box_h - 7.5 * mm, day or "　　年　月　日")
    bottom = top - head_h - box_h - 13 * mm
    canvas.setFont(JAPANESE_FONT, 9)
    canvas.drawRightString(right, bottom, f"決裁日  {_local_date(batch.approved_at) or '　　　　年　　月　　日'}")
    canvas.setFont(JAPANESE_FONT, 10.5)
    return bottom


def write_summary(batch: SettlementBatch, out, progress=None) -> int:
    """The batch summary for the approver and the files: the approval block, totals, per denomination, held lines
    with reasons."""
    _check_released(batch)
    if batch.approved_by_id is None:
        # The object predates its approval (read from the database, as _check_released does): the approval block
        # must show the same names and dates whoever generates the summary.
        batch = SettlementBatch.objects.select_related("cutoff", "campaign", "prepared_by", "approved_by").get(
            pk=batch.pk)
    canvas = new_canvas(out, title=f"精算バッチ集計 {batch.cutoff.cutoff_date}", invariant=True)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    canvas.setFont(JAPANESE_FONT, 16)
    canvas.drawCentredString(width / 2, height - 20 * mm, "精算バッチ集計表")
    y = draw_approval_block(canvas, batch, right=right, top=height - 30 * mm) - 10 * mm
    canvas.setFont(JAPANESE_FONT, 10.5)
    rows = [
        ("キャンペーン", batch.campaign.name),
        ("締日", f"{batch.cutoff.cutoff_date:%Y年%m月%d日}"),
        ("支払日", f"{batch.cutoff.payment_date:%Y年%m月%d日}"),
        ("区分", "臨時" if batch.cutoff.kind == "extraordinary" else "定例"),
        ("作成者", person_name(batch.prepared_by) or "自動締め"),
        ("承認者", person_name(batch.approved_by)),
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
            reasons = hold_reason_text(line.hold_reasons, "、")
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

# The four files in one job, in this order (the bank file first: it is the one that must not fail unseen).
ALL_KINDS = (BatchOutput.Kind.ZENGIN, BatchOutput.Kind.LIST, BatchOutput.Kind.NOTICES, BatchOutput.Kind.SUMMARY)


def _run_all(job, out, progress) -> str:
    """Generate the batch's four files one after the other in one job, each stored as its ``BatchOutput`` exactly
    as its own job stores it (same bytes). The job's own result is a short list of the four files and their
    SHA-256; the files themselves are downloaded from the batch page. A file that cannot be written stops the job
    there, naming it; the files before it stay stored."""
    batch = SettlementBatch.objects.select_related("cutoff", "campaign", "prepared_by", "approved_by").get(
        pk=job.params["batch"])
    labels = dict(BatchOutput.Kind.choices)
    step = 100 // len(ALL_KINDS)
    lines = []
    for n, kind in enumerate(ALL_KINDS):
        label = str(labels[kind])
        title = f"{label} ({n + 1}/{len(ALL_KINDS)})"

        def part(percent, message="", base=n * step, title=title):
            progress(base + max(0, min(100, int(percent))) * step // 100, f"{title}: {message}" if message else title)

        part(0)
        try:
            output = generate_output(batch, kind, io.BytesIO(), part)
        except JobError as exc:
            raise JobError(_("%(file)s: %(error)s") % {"file": label, "error": exc}) from None
        lines.append(f"{output.file_name}\t{output.size}\t{output.sha256}")
    progress(100, _("The four files are ready."))
    out.write(("\n".join(lines) + "\n").encode("utf-8"))
    return f"batch-files-{batch.cutoff.cutoff_date:%Y%m%d}-{batch.cutoff.payment_date:%Y%m%d}.txt"


# The bank file is among the four: the same capability as its own job.
job_kind("payouts_all", label=gettext_lazy("All four batch files"), capability="settlement.approve")(_run_all)
ALL_JOB_KIND = "payouts_all"

JOB_KINDS = {BatchOutput.Kind.ZENGIN: "payouts_zengin", BatchOutput.Kind.LIST: "payouts_list",
             BatchOutput.Kind.NOTICES: "payouts_notices", BatchOutput.Kind.SUMMARY: "payouts_summary"}
# Who may download a stored output (the bank file carries full account numbers).
DOWNLOAD_CAPABILITY = {BatchOutput.Kind.ZENGIN: "settlement.approve", BatchOutput.Kind.LIST: "settlement.view",
                       BatchOutput.Kind.NOTICES: "settlement.view", BatchOutput.Kind.SUMMARY: "settlement.view"}

"""The redemption slip (換金伝票) a merchant prints, signs and seals, and puts in the envelope with the tickets.

One A4 page: the merchant, the envelope number as a Code128 barcode (the clerk scans it at receipt) and as
digits (for keying when a crumpled slip does not scan), the declared tickets and amounts per denomination,
the total, the declared date, a box for the signature and seal, a box for the secretariat, and the
instructions from the redemption kit.

The slip is a document for the secretariat, so it is always printed in Japanese whatever language the
portal is shown in, and it is invariant: printing the slip of an envelope again gives the same bytes.
The layout works from a plain dataclass (no database); ``slip_document`` fills it from an envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from campaign.pdf import JAPANESE_FONT, PDFTarget, paragraph_styles, simple_document
from settlement.models import Envelope

_FRAME_WIDTH = 170 * mm  # simple_document's A4 frame between 20 mm margins
_SHADE = colors.Color(0.92, 0.92, 0.92)
_RULE = colors.Color(0.3, 0.3, 0.3)
# Code128 set C packs two digits per symbol: 12 digits are 6 symbols, about 35 mm at a 0.33 mm module,
# which every handheld scanner reads; the quiet zones (10 modules) come from the barcode itself.
_BAR_MODULE = 0.33 * mm
_BAR_HEIGHT = 16 * mm


@dataclass(frozen=True)
class SlipLine:
    denomination: str
    face_value: int
    tickets: int

    @property
    def amount(self) -> int:
        return self.face_value * self.tickets


@dataclass(frozen=True)
class SlipDocument:
    campaign_name: str
    merchant_number: str
    store_name: str
    company_name: str
    address: str
    phone: str
    envelope_number: str
    declared_on: date
    lines: tuple[SlipLine, ...]

    @property
    def total_tickets(self) -> int:
        return sum(line.tickets for line in self.lines)

    @property
    def total_amount(self) -> int:
        return sum(line.amount for line in self.lines)


def slip_document(envelope: Envelope) -> SlipDocument:
    merchant = envelope.merchant
    lines = tuple(SlipLine(denomination=line.denomination.name, face_value=line.denomination.face_value,
                           tickets=line.declared_tickets)
                  for line in envelope.lines.select_related("denomination").order_by("-denomination__face_value",
                                                                                      "denomination__code"))
    return SlipDocument(
        campaign_name=envelope.campaign.name, merchant_number=merchant.merchant_number or "",
        store_name=merchant.store_name, company_name=merchant.company_name, address=merchant.address,
        phone=merchant.phone, envelope_number=envelope.number,
        declared_on=timezone.localdate(envelope.declared_at), lines=lines,
    )


def group_envelope_number(number: str) -> str:
    """``123456780012`` → ``1234 5678 0012``: read aloud and keyed in groups of four."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def envelope_barcode(number: str) -> Code128:
    """The envelope number as a Code128 barcode flowable (digits only, so the scanner sends exactly them)."""
    return Code128(number, barWidth=_BAR_MODULE, barHeight=_BAR_HEIGHT, humanReadable=False)


def redemption_slip_pdf(fileobj: PDFTarget, doc: SlipDocument) -> None:
    """Write the one-page slip for ``doc`` to ``fileobj`` (always in Japanese; same input, same bytes)."""
    if not doc.lines:
        raise ValueError(f"envelope {doc.envelope_number} declares no tickets")
    with translation.override("ja"):
        styles = _styles()
        flowables = [
            Paragraph(escape(_("Redemption slip")), styles["title"]),
            Paragraph(escape(doc.campaign_name), styles["center"]),
            Spacer(1, 5 * mm),
            _header(doc, styles),
            Spacer(1, 5 * mm),
            Paragraph(escape(_("Declared tickets")), styles["heading"]),
            _tickets_table(doc, styles),
            Spacer(1, 5 * mm),
            _signature(styles),
            Spacer(1, 5 * mm),
            Paragraph(escape(_("Before you post the envelope")), styles["heading"]),
            *[Paragraph(escape(text), styles["instruction"]) for text in _instructions()],
            Spacer(1, 4 * mm),
            _office_box(styles),
        ]
        simple_document(fileobj, title=_("Redemption slip %(number)s") % {"number": doc.envelope_number},
                        author=doc.campaign_name, flowables=flowables, invariant=True)


def _styles() -> dict[str, ParagraphStyle]:
    styles = paragraph_styles()
    styles["cell"] = ParagraphStyle("cell", parent=styles["body"], fontSize=10, leading=13)
    styles["cell_right"] = ParagraphStyle("cell_right", parent=styles["right"], fontSize=10, leading=13)
    styles["number"] = ParagraphStyle("number", parent=styles["center"], fontSize=16, leading=20)
    styles["instruction"] = ParagraphStyle("instruction", parent=styles["body"], fontSize=9.5, leading=14,
                                           leftIndent=4 * mm, firstLineIndent=-4 * mm)
    return styles


def _grid() -> list[tuple]:
    # Plain strings in cells are drawn in the table's font, not a paragraph's: without FONTNAME they would
    # come out in Helvetica, which has no Japanese glyphs.
    return [
        ("FONTNAME", (0, 0), (-1, -1), JAPANESE_FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]


def _header(doc: SlipDocument, styles) -> Table:
    """Merchant details on the left, the envelope barcode and number on the right."""
    declared = f"{doc.declared_on.year}年{doc.declared_on.month}月{doc.declared_on.day}日"
    details = Table(
        [
            [_("Merchant number"), doc.merchant_number],
            [_("Store name"), Paragraph(escape(doc.store_name), styles["cell"])],
            [_("Company or owner"), Paragraph(escape(doc.company_name or "—"), styles["cell"])],
            [_("Address"), Paragraph(escape(doc.address), styles["cell"])],
            [_("Phone"), doc.phone],
            [_("Declared on"), declared],
        ],
        colWidths=(28 * mm, 64 * mm),
    )
    details.setStyle(TableStyle([*_grid(), ("BACKGROUND", (0, 0), (0, -1), _SHADE)]))
    barcode_cell = [
        Paragraph(escape(_("Envelope number")), styles["center"]),
        Spacer(1, 2 * mm),
        envelope_barcode(doc.envelope_number),
        Spacer(1, 1 * mm),
        Paragraph(escape(group_envelope_number(doc.envelope_number)), styles["number"]),
    ]
    outer = Table([[details, barcode_cell]], colWidths=(94 * mm, _FRAME_WIDTH - 94 * mm))
    outer.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 0), (1, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (0, 0), 0),
        ("BOX", (1, 0), (1, 0), 0.5, _RULE),
    ]))
    return outer


def _yen(amount: int) -> str:
    return _("%(amount)s yen") % {"amount": f"{amount:,}"}


def _tickets_table(doc: SlipDocument, styles) -> Table:
    rows: list[list] = [[_("Denomination"), _("Face value"), _("Tickets"), _("Amount")]]
    rows += [[Paragraph(escape(line.denomination), styles["cell"]), _yen(line.face_value), f"{line.tickets:,}",
              _yen(line.amount)] for line in doc.lines]
    rows.append([_("Total"), "", f"{doc.total_tickets:,}", _yen(doc.total_amount)])
    table = Table(rows, colWidths=(62 * mm, 34 * mm, 30 * mm, 44 * mm), repeatRows=1)
    table.setStyle(TableStyle([
        *_grid(),
        ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
        ("BACKGROUND", (0, -1), (-1, -1), _SHADE),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("FONTSIZE", (0, -1), (-1, -1), 12),
        ("SPAN", (0, -1), (1, -1)),
    ]))
    return table


def _signature(styles) -> Table:
    """The merchant's statement, a signature line and a square for the seal (押印)."""
    statement = Paragraph(escape(_("I claim redemption of the tickets above, which were used at my store, "
                                   "and confirm that the numbers are correct.")), styles["body"])
    table = Table(
        [[statement, _("Seal")], [_("Signature of the representative"), ""]],
        colWidths=(_FRAME_WIDTH - 30 * mm, 30 * mm), rowHeights=[None, 18 * mm],
    )
    table.setStyle(TableStyle([
        *_grid(),
        ("SPAN", (1, 0), (1, 1)),
        ("VALIGN", (1, 0), (1, 1), "TOP"),
        ("ALIGN", (1, 0), (1, 1), "CENTER"),
        ("VALIGN", (0, 1), (0, 1), "TOP"),
        ("FONTSIZE", (0, 1), (0, 1), 8),
    ]))
    return table


def _instructions() -> list[str]:
    return [
        _("1. Stamp each used ticket with your store's seal."),
        _("2. Count the tickets: the number in the envelope must match this slip. A difference delays the payment."),
        _("3. Put the tickets and this signed and sealed slip in the redemption envelope and close it with the "
          "tamper-evident seal."),
        _("4. Post one envelope per slip to the settlement center. Print a new slip for every envelope; do not "
          "copy a slip."),
        _("5. You can follow the envelope and see the result of the check in the merchant portal."),
    ]


def _office_box(styles) -> Table:
    label = Paragraph(escape(_("For the secretariat")), styles["small"])
    table = Table([[label, _("Received on"), _("Opened by"), _("Witness"), _("Tickets counted")], ["", "", "", "", ""]],
                  colWidths=(30 * mm, 35 * mm, 35 * mm, 35 * mm, 35 * mm), rowHeights=[None, 12 * mm])
    table.setStyle(TableStyle([*_grid(), ("FONTSIZE", (0, 0), (-1, -1), 8), ("SPAN", (0, 0), (0, 1)),
                               ("BACKGROUND", (0, 0), (0, 1), _SHADE), ("BACKGROUND", (1, 0), (-1, 0), _SHADE)]))
    return table

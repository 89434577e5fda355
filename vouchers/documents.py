"""The paper that goes with the vouchers: delivery slips for sales outlets and the destruction certificate.

A delivery to a sales outlet (販売窓口) comes with two signed papers, as in the Tottori campaign: the
受領書 (receipt), which the outlet signs and stamps to say it received these books, and the 納品預託書
(deposit slip), which records that the books are deposited in trust with the outlet for sale and stay the
secretariat's until sold. Unsold books and printing waste (ヤレ紙) are pulped at the end of the campaign
under witness, which the 廃棄証明書 (destruction certificate) records. Both feed the issuance ledger, so
the book numbers and totals on them must be exact.

The documents are built with platypus on ``campaign.pdf.simple_document``: a delivery of a hundred ranges
flows over as many pages as it needs, the column header repeats on each page, and the total row comes last.
They are generated with ``invariant=True`` so regenerating a document gives the same bytes.

The inputs are plain dataclasses so this module needs no database; the vouchers services fill them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from campaign.pdf import JAPANESE_FONT, PDFTarget, paragraph_styles, simple_document

# simple_document leaves 170 mm between its 20 mm margins on A4.
_FRAME_WIDTH = 170 * mm
_RANGE_COLUMN_WIDTHS = (62 * mm, 46 * mm, 24 * mm, 38 * mm)
_LABEL_SHADE = colors.Color(0.92, 0.92, 0.92)
_RULE = colors.Color(0.35, 0.35, 0.35)

# The separator between the first and last book number. Every document prints ranges the same way
# (1〜500) so a clerk comparing the receipt with the ledger sees the same text.
RANGE_SEPARATOR = "〜"


@dataclass(frozen=True)
class BookRange:
    """A run of consecutively numbered books (冊) of one denomination, both ends included."""

    denomination_name: str  # e.g. "1,000円券（13枚綴り）"
    first_book: int
    last_book: int
    face_value_per_book: int  # yen: face value × tickets per book

    def __post_init__(self) -> None:
        if self.last_book < self.first_book:
            raise ValueError(
                f"冊番号の範囲が逆です（{self.denomination_name}: {self.first_book}{RANGE_SEPARATOR}{self.last_book}）"
            )
        if self.face_value_per_book < 0:
            raise ValueError(f"額面が負の値です（{self.denomination_name}）")

    @property
    def count(self) -> int:
        return self.last_book - self.first_book + 1

    @property
    def face_value_total(self) -> int:
        return self.count * self.face_value_per_book

    @property
    def label(self) -> str:
        """The book numbers as printed: ``1〜500``."""
        return f"{self.first_book}{RANGE_SEPARATOR}{self.last_book}"


@dataclass(frozen=True)
class DeliveryDocument:
    """What the 受領書 and 納品預託書 of one delivery to a sales outlet show."""

    campaign_name: str
    secretariat_name: str  # e.g. "とっとりプレミアム食事券事務局"
    delivery_number: str  # e.g. "D-2026-0007"
    outlet_name: str
    outlet_address: str
    route_label: str  # e.g. "東部ルート"
    delivery_date: date
    ranges: list[BookRange]
    note: str = ""


@dataclass(frozen=True)
class DestructionDocument:
    """What the 廃棄証明書 for one pulping of books and printing waste shows."""

    campaign_name: str
    secretariat_name: str
    certificate_number: str
    destroyed_on: date
    method_label: str  # e.g. "溶解処理"
    place: str
    ranges: list[BookRange]
    spoiled_sheets: int  # ヤレ紙: half-finished sheets spoiled in printing and finishing
    witnesses: list[str]
    operator_company: str  # e.g. the pulping contractor


def format_yen(n: int) -> str:
    """Format a yen amount with thousands separators and no unit: ``1300000`` → ``"1,300,000"``."""
    return f"{n:,}"


def format_date_ja(d: date) -> str:
    """Format a date the way Japanese business documents write it: ``"2026年11月23日"``."""
    return f"{d.year}年{d.month}月{d.day}日"


def delivery_slip_pdf(fileobj: PDFTarget, doc: DeliveryDocument) -> None:
    """Write the 受領書 (first) and the 納品預託書 (from a new page) for one delivery to ``fileobj``.

    Each starts on its own page so the outlet keeps one and hands the other back; a long list of ranges
    runs over further pages, ending with the totals and the signature boxes.
    """
    if not doc.ranges:
        raise ValueError(f"納品 {doc.delivery_number} に食事券の冊番号がありません。")
    styles = _styles()
    flowables = [
        *_receipt_flowables(doc, styles),
        PageBreak(),
        *_deposit_flowables(doc, styles),
    ]
    simple_document(
        fileobj,
        title=f"受領書・納品預託書 {doc.delivery_number}",
        author=doc.secretariat_name,
        flowables=flowables,
        invariant=True,
    )


def destruction_certificate_pdf(fileobj: PDFTarget, doc: DestructionDocument) -> None:
    """Write the 廃棄証明書 for one destruction to ``fileobj``, with a signature row per witness.

    A certificate of destruction "under witness" without a witness would state something false, so at least
    one witness is required.
    """
    if not doc.witnesses:
        raise ValueError(f"廃棄証明書 {doc.certificate_number} に立会人がいません。")
    if doc.spoiled_sheets < 0:
        raise ValueError(f"廃棄証明書 {doc.certificate_number} のヤレ紙枚数が負の値です。")
    styles = _styles()
    total_books = sum(r.count for r in doc.ranges)
    total_yen = sum(r.face_value_total for r in doc.ranges)
    flowables: list[Flowable] = [
        Paragraph(f"証明書番号　{_t(doc.certificate_number)}", styles["right"]),
        Paragraph(_t(doc.secretariat_name), styles["right"]),
        Spacer(1, 4 * mm),
        Paragraph("廃棄証明書", styles["title"]),
        _fields_table(
            [
                ("事業名", doc.campaign_name),
                ("廃棄日", format_date_ja(doc.destroyed_on)),
                ("廃棄方法", doc.method_label),
                ("廃棄場所", doc.place),
                ("処理業者", doc.operator_company),
            ],
            styles,
        ),
        Paragraph("廃棄した食事券", styles["heading"]),
        _ranges_table(doc.ranges, styles),
        Spacer(1, 3 * mm),
        _fields_table(
            [("ヤレ紙（印刷・加工時の損紙）", f"{doc.spoiled_sheets:,}枚")], styles, label_width=62 * mm
        ),
        Spacer(1, 6 * mm),
        # Kept with the witness rows so the certifying sentence is never on a different page from them.
        KeepTogether(
            [
                Paragraph(
                    f"上記の食事券{total_books:,}冊（額面合計{format_yen(total_yen)}円）"
                    f"およびヤレ紙{doc.spoiled_sheets:,}枚を、"
                    f"{format_date_ja(doc.destroyed_on)}、{_t(doc.place)}において、下記立会人の立会いのもと"
                    f"{_t(doc.method_label)}により再生不能な状態に廃棄したことを証明します。",
                    styles["body"],
                ),
                Spacer(1, 4 * mm),
                _witness_table(doc, styles),
            ]
        ),
    ]
    simple_document(
        fileobj,
        title=f"廃棄証明書 {doc.certificate_number}",
        author=doc.secretariat_name,
        flowables=flowables,
        invariant=True,
    )


def _receipt_flowables(doc: DeliveryDocument, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        *_delivery_heading(doc, styles, title="受領書", date_label="納品日"),
        Paragraph(f"{_t(doc.secretariat_name)}　御中", styles["addressee"]),
        Spacer(1, 2 * mm),
        Paragraph("下記の食事券を確かに受領いたしました。", styles["body"]),
        Spacer(1, 3 * mm),
        _delivery_fields(doc, styles),
        Spacer(1, 4 * mm),
        _ranges_table(doc.ranges, styles),
        *_note(doc, styles),
        Spacer(1, 8 * mm),
        _signature_block(
            f"{_delivery_summary(doc)}を受領しました。",
            [
                ("受領日", "　　　　年　　　月　　　日", 12 * mm),
                ("受領者署名・印", "", 22 * mm),
            ],
            styles,
        ),
    ]


def _deposit_flowables(doc: DeliveryDocument, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    conditions = [
        "預託した食事券は、販売されるまで事務局に帰属します。善良な管理者の注意をもって施錠できる場所に保管してください。",
        "食事券は冊番号の若い順に、定められた販売価格で販売してください。",
        "紛失・盗難・汚損があった場合は、直ちに事務局へ連絡してください。",
        "販売期間終了後、未販売の食事券は事務局の指示に従い冊単位で返却してください。",
    ]
    return [
        *_delivery_heading(doc, styles, title="納品預託書", date_label="預託日"),
        Paragraph(f"{_t(doc.outlet_name)}　御中", styles["addressee"]),
        Paragraph(_t(doc.secretariat_name), styles["right"]),
        Spacer(1, 2 * mm),
        Paragraph("下記の食事券を、販売のため貴店に預託いたします。", styles["body"]),
        Spacer(1, 3 * mm),
        _delivery_fields(doc, styles),
        Spacer(1, 4 * mm),
        _ranges_table(doc.ranges, styles),
        *_note(doc, styles),
        KeepTogether(
            [
                Paragraph("預託の条件", styles["heading"]),
                *(Paragraph(f"{i}. {text}", styles["small"]) for i, text in enumerate(conditions, start=1)),
            ]
        ),
        Spacer(1, 6 * mm),
        _signature_block(
            f"{_delivery_summary(doc)}の預託を受けました。",
            [
                ("受託者（販売窓口）印", "", 22 * mm),
                ("納品担当者署名", "", 14 * mm),
            ],
            styles,
        ),
    ]


def _delivery_heading(
    doc: DeliveryDocument, styles: dict[str, ParagraphStyle], *, title: str, date_label: str
) -> list[Flowable]:
    return [
        Paragraph(f"納品番号　{_t(doc.delivery_number)}", styles["right"]),
        Paragraph(f"{date_label}　{format_date_ja(doc.delivery_date)}", styles["right"]),
        Spacer(1, 4 * mm),
        Paragraph(title, styles["title"]),
    ]


def _delivery_fields(doc: DeliveryDocument, styles: dict[str, ParagraphStyle]) -> Table:
    return _fields_table(
        [
            ("事業名", doc.campaign_name),
            ("販売窓口", doc.outlet_name),
            ("所在地", doc.outlet_address),
            ("配送ルート", doc.route_label),
            ("納品日", format_date_ja(doc.delivery_date)),
        ],
        styles,
    )


def _note(doc: DeliveryDocument, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    if not doc.note:
        return []
    return [Spacer(1, 3 * mm), Paragraph(f"備考：{_t(doc.note)}", styles["body"])]


def _ranges_table(ranges: Sequence[BookRange], styles: dict[str, ParagraphStyle]) -> LongTable:
    """券種 / 冊番号 / 冊数 / 額面合計 per range, then the total row; the header repeats on each page."""
    rows: list[list[object]] = [["券種", f"冊番号（自{RANGE_SEPARATOR}至）", "冊数", "額面合計（円）"]]
    for book_range in ranges:
        rows.append(
            [
                Paragraph(_t(book_range.denomination_name), styles["cell"]),
                book_range.label,
                f"{book_range.count:,}",
                format_yen(book_range.face_value_total),
            ]
        )
    total_books = sum(r.count for r in ranges)
    total_yen = sum(r.face_value_total for r in ranges)
    rows.append(["合計", "", f"{total_books:,}", format_yen(total_yen)])

    table = LongTable(rows, colWidths=_RANGE_COLUMN_WIDTHS, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *_base_grid(),
                ("BACKGROUND", (0, 0), (-1, 0), _LABEL_SHADE),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("ALIGN", (1, 1), (1, -1), "CENTER"),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("SPAN", (0, -1), (1, -1)),
                ("ALIGN", (0, -1), (1, -1), "CENTER"),
                ("BACKGROUND", (0, -1), (-1, -1), _LABEL_SHADE),
                # A double rule above the total, as on a hand-written ledger.
                ("LINEABOVE", (0, -1), (-1, -1), 1.5, _RULE),
            ]
        )
    )
    return table


def _fields_table(
    fields: Sequence[tuple[str, str]], styles: dict[str, ParagraphStyle], *, label_width: float = 32 * mm
) -> Table:
    rows = [[label, Paragraph(_t(value), styles["cell"])] for label, value in fields]
    table = Table(rows, colWidths=(label_width, _FRAME_WIDTH - label_width))
    table.setStyle(TableStyle([*_base_grid(), ("BACKGROUND", (0, 0), (0, -1), _LABEL_SHADE)]))
    return table


def _delivery_summary(doc: DeliveryDocument) -> str:
    total_books = sum(r.count for r in doc.ranges)
    total_yen = sum(r.face_value_total for r in doc.ranges)
    return (
        f"上記（納品番号 {_t(doc.delivery_number)}）の食事券 合計{total_books:,}冊・"
        f"額面合計{format_yen(total_yen)}円"
    )


def _signature_block(
    statement: str, boxes: Sequence[tuple[str, str, float]], styles: dict[str, ParagraphStyle]
) -> KeepTogether:
    """A statement of what is signed for, then labelled boxes to fill by hand: (label, printed text, height).

    When a long list of ranges pushes the boxes onto a page of their own, the statement goes with them and
    repeats the delivery number and totals, so the signed page still says what it is a signature for.
    """
    rows = [[label, text] for label, text, _height in boxes]
    table = Table(rows, colWidths=(42 * mm, 78 * mm), rowHeights=[height for *_rest, height in boxes])
    table.hAlign = "RIGHT"
    table.setStyle(TableStyle([*_base_grid(), ("BACKGROUND", (0, 0), (0, -1), _LABEL_SHADE)]))
    return KeepTogether([Paragraph(statement, styles["body"]), Spacer(1, 3 * mm), table])


def _witness_table(doc: DestructionDocument, styles: dict[str, ParagraphStyle]) -> Table:
    rows: list[list[object]] = [["区分", "氏名・名称", "署名・印"]]
    rows += [["立会人", Paragraph(_t(name), styles["cell"]), ""] for name in doc.witnesses]
    rows.append(["処理業者", Paragraph(_t(doc.operator_company), styles["cell"]), ""])
    rows.append(["事務局", Paragraph(_t(doc.secretariat_name), styles["cell"]), ""])
    signature_height = 14 * mm
    table = LongTable(
        rows,
        colWidths=(28 * mm, 72 * mm, 70 * mm),
        rowHeights=[None] + [signature_height] * (len(rows) - 1),
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                *_base_grid(),
                ("BACKGROUND", (0, 0), (-1, 0), _LABEL_SHADE),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
            ]
        )
    )
    return table


def _base_grid() -> list[tuple[object, ...]]:
    # Plain strings in table cells are drawn in the cell font, not a paragraph style, so without FONTNAME
    # they would come out in Helvetica, which has no Japanese glyphs.
    return [
        ("FONTNAME", (0, 0), (-1, -1), JAPANESE_FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]


def _styles() -> dict[str, ParagraphStyle]:
    styles = paragraph_styles()
    styles["cell"] = ParagraphStyle("cell", parent=styles["body"], fontSize=10, leading=13)
    styles["addressee"] = ParagraphStyle("addressee", parent=styles["body"], fontSize=13, leading=20)
    styles["right"] = ParagraphStyle("right-tight", parent=styles["body"], alignment=TA_RIGHT, leading=15)
    return styles


def _t(text: str) -> str:
    """Escape text for Paragraph markup: an outlet called "A&B" must print as such, not break the parser."""
    return escape(text)

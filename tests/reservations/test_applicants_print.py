"""Address labels and notice letters as PDF: page counts, every address inside its own label (read back from
the PDF with pypdf, with positions), postal code and honorific formatting, long addresses wrapped inside,
the letter's merge fields, link code and QR code, and the print jobs with their audit entries."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from campaign.jobs import job_execute, job_start
from campaign.models import AuditEvent, Job
from reservations import labels, letters
from reservations import services_applicants as applicants
from reservations.linkcodes import format_code, new_code
from tests.campaign.pdf_checks import assert_valid_pdf, pdftotext
from tests.reservations.applicant_helpers import applicant_settings, make_applicant

pytestmark = pytest.mark.django_db

LONG = "鳥取県東伯郡三朝町大字三朝字東山手通り1234-5678 グランドメゾン三朝温泉レジデンス弐番館ウエストウイング1203号室"


def _fragments(pdf: bytes) -> list[list[tuple[str, float, float, float]]]:
    """Per page: (text, x, y, font size) of every text run, in page coordinates."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        runs = []

        def visit(text, cm, tm, font_dict, font_size, runs=runs):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                runs.append((text.strip(), x, y, font_size * tm[0]))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def _items(n: int) -> list[labels.LabelData]:
    items = []
    for i in range(n):
        address = LONG if i % 5 == 0 else f"鳥取県鳥取市東町{i + 1}-220"
        items.append(labels.LabelData(postal_code=f"68000{i:02d}", address=address, name=f"宛名{i:02d} 花子"))
    return items


def test_25_labels_on_12_up_sheets_make_3_pages_with_each_address_in_its_cell():
    out = io.BytesIO()
    sheet = labels.SHEETS["12"]
    assert labels.write_labels(out, _items(25), sheet=sheet) == 25
    pages = _fragments(out.getvalue())
    assert len(pages) == 3
    for index, item in enumerate(_items(25)):
        runs = pages[index // 12]
        x0, y0, x1, y1 = sheet.cell(index % 12)
        # The name line (with 様) is in this label and nowhere else.
        name_runs = [r for r in runs if r[0].startswith(item.name)]
        assert len(name_runs) == 1, item.name
        assert name_runs[0][0].endswith("様")
        text, x, y, size = name_runs[0]
        assert x0 <= x and x + stringWidth(text, "IPAexGothic", size) <= x1 + 0.5 and y0 <= y <= y1
        # The postal code line, then the address lines, all inside the same label and inside its width.
        in_cell = [r for r in runs if x0 <= r[1] <= x1 and y0 <= r[2] <= y1]
        postal = [r for r in in_cell if r[0].startswith("〒")]
        assert [r[0] for r in postal] == [f"〒680-00{index:02d}"]
        body = "".join(r[0] for r in sorted(in_cell, key=lambda r: -r[2]) if not r[0].startswith(("〒", "宛名")))
        assert body == item.address.replace(" ", "") or body.replace(" ", "") == item.address.replace(" ", "")
        for rtext, rx, ry, rsize in in_cell:
            assert ry - rsize * 0.25 >= y0 and ry + rsize <= y1 + 0.5
            assert rx + stringWidth(rtext, "IPAexGothic", rsize) <= x1 + 0.5


def test_long_addresses_wrap_inside_the_label_and_never_split_a_house_number():
    sheet = labels.SHEETS["24"]
    width = sheet.width - 2 * sheet.padding
    lines, size = labels.fit_lines(labels.clean_address(LONG), width, sheet.height / 2, sheet.address_size)
    assert len(lines) >= 2
    assert "".join(lines).replace(" ", "") == LONG.replace(" ", "")
    assert any("1234-5678" in line for line in lines)
    assert all(stringWidth(line, "IPAexGothic", size) <= width for line in lines)
    tiny, _size = labels.fit_lines(LONG * 3, width, 20, sheet.address_size)
    assert tiny[-1].endswith("…") and len(tiny) <= 2


def test_24_up_sheets_and_postal_formatting():
    out = io.BytesIO()
    assert labels.write_labels(out, _items(25), sheet=labels.SHEETS["24"]) == 25
    assert len(PdfReader(io.BytesIO(out.getvalue())).pages) == 2
    assert labels.postal_display("６８０００１１") == "〒680-0011"
    assert labels.postal_display("680-0011") == "〒680-0011"
    assert labels.postal_display("") == ""
    assert labels.clean_address("東町１−２２０") == "東町1-220"


def test_a_letter_carries_the_merge_fields_link_code_and_booking_url():
    code = new_code()
    setup = letters.LetterSetup(title="{name}様へのご案内", body=letters.DEFAULT_BODY,
                                counters=[("本庁舎窓口", "鳥取市東町1-220"), ("駅前出張所", "")],
                                deadline=date(2026, 12, 25), sender="鳥取県 食事券事務局", issued_on=date(2026, 11, 1))
    out = io.BytesIO()
    letters.write_letters(out, [letters.LetterData("6800011", LONG, "鳥取 花子", code),
                                letters.LetterData("6830823", "米子市加茂町2-1", "米子 太郎", new_code())], setup)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    assert len(reader.pages) == 2
    text = reader.pages[0].extract_text()
    flat = text.replace("\n", "")
    assert "鳥取 花子様へのご案内" in flat and "〒680-0011" in text
    assert format_code(code) in text
    assert "/reserve/code/" + format_code(code) in flat
    assert "2026年12月25日" in flat and "・本庁舎窓口（鳥取市東町1-220）" in flat and "・駅前出張所" in flat
    assert "米子 太郎" in reader.pages[1].extract_text()
    assert letters.template_errors("{name} {nmae} {deadline}") == ["nmae"]


def test_the_print_jobs_make_the_pdfs_and_log_who_printed(resv, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://reserve.example.jp"  # letters refuse a development address without a test print
    campaign = resv["campaign"]
    applicant_settings(campaign)
    for i in range(13):
        a = make_applicant(campaign, alice, name=f"印刷 {i}")
        if i < 5:
            applicants.progress_append(applicant=a, status="returned", actor=alice)
    job = job_start(actor=alice, kind="applicant_labels", campaign=campaign,
                    params={"campaign": campaign.pk, "sheet": "12", "filter": {}})
    job = job_execute(job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert len(PdfReader(job.result_file.open("rb")).pages) == 2
    job = job_execute(job_start(actor=alice, kind="applicant_letters", campaign=campaign,
                                params={"campaign": campaign.pk, "filter": {"status": "returned"}}).pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert len(PdfReader(job.result_file.open("rb")).pages) == 5
    logged = AuditEvent.objects.filter(action__in=["applicant.print_labels", "applicant.print_letters"])
    assert sorted(e.data.get("labels", e.data.get("letters")) for e in logged) == [5, 13]


def _letter_items(n: int) -> list[letters.LetterData]:
    return [letters.LetterData(f"68000{i % 100:02d}", f"鳥取県鳥取市東町{i + 1}-220", f"宛名 {i:03d}", new_code())
            for i in range(n)]


def _setup() -> letters.LetterSetup:
    return letters.LetterSetup(title=letters.DEFAULT_TITLE, body=letters.DEFAULT_BODY, counters=[("本庁舎窓口", "")],
                               deadline=date(2026, 12, 25), sender="鳥取県 食事券事務局", issued_on=date(2026, 11, 1))


def test_letters_drawn_in_parts_make_one_valid_pdf_with_every_letter_in_order(tmp_path):
    items = _letter_items(7)
    path = tmp_path / "letters.pdf"
    with path.open("wb") as out:
        assert letters.write_letters(out, items, _setup(), letters_per_part=3) == 7
    data = path.read_bytes()
    reader = assert_valid_pdf(data, pages=7)
    for number in (0, 3, 6):  # first letter of each of the three parts
        text = reader.pages[number].extract_text()
        assert f"宛名 {number:03d}" in text and format_code(items[number].link_code) in text
    assert "宛名 000" in pdftotext(data, 1) and format_code(items[0].link_code) in pdftotext(data, 1)
    assert "宛名 006" in pdftotext(data, 7) and "宛名 005" not in pdftotext(data, 7)
    assert data.count(b"/FontFile2") == 1  # the font is embedded once, not once per part


def test_labels_drawn_in_parts_stay_on_their_sheets():
    out = io.BytesIO()
    assert labels.write_labels(out, _items(61), sheet=labels.SHEETS["12"], pages_per_part=2) == 61
    reader = assert_valid_pdf(out.getvalue(), pages=6)
    for index in (0, 23, 24, 47, 48, 60):
        assert f"宛名{index:02d} 花子" in reader.pages[index // 12].extract_text()
    assert "宛名11 花子" not in reader.pages[1].extract_text()


class _NullOutput(io.RawIOBase):
    """Where the job writes a file, a sink that keeps nothing: a BytesIO would count the PDF itself."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return len(data)


def _memory(n: int, letters_per_part: int) -> tuple[int, int]:
    """Peak Python allocations while writing ``n`` letters, and the most memory held between two letters
    (the peak also has reportlab's font subsetting at each part's save: several MB, the same for any part)."""
    items = _letter_items(n)
    held = [0]

    def pulled():
        for item in items:
            held[0] = max(held[0], tracemalloc.get_traced_memory()[0])
            yield item

    tracemalloc.start()
    try:
        letters.write_letters(_NullOutput(), pulled(), _setup(), letters_per_part=letters_per_part)
        return tracemalloc.get_traced_memory()[1], held[0]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_letters():
    part = 40
    letters.write_letters(io.BytesIO(), _letter_items(3), _setup())  # one-time loading (font, URLs) first
    (peak_one, held_one), (peak_three, held_three) = _memory(part, part), _memory(3 * part, part)
    assert peak_three < peak_one * 1.25, (peak_one, peak_three)
    assert held_three < held_one * 1.5, (held_one, held_three)
    # One canvas for everything (a part as large as the run) holds every page: the check bites.
    _peak, held_one_canvas = _memory(3 * part, 10**6)
    assert held_one_canvas > held_one * 2, (held_one, held_one_canvas)

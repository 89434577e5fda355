"""Checks that a PDF is well formed, independent of the code that wrote it: every cross-reference entry points
at its object, pypdf reads it in strict mode, and poppler (pdfinfo) reads it without a complaint."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

from pypdf import PdfReader

from tests.conftest import needs


def xref_entries(data: bytes) -> dict[int, int]:
    """The in-use objects of the (single, classic) cross-reference table: number → byte offset."""
    start = int(data[data.rindex(b"startxref") + 9 :].split()[0])
    assert data[start : start + 4] == b"xref"
    lines = data[start : data.index(b"trailer", start)].split(b"\n")
    first, count = map(int, lines[1].split())
    entries = {}
    for n, line in enumerate(lines[2 : 2 + count], start=first):
        assert len(line) == 19, line  # 20 bytes with the newline
        if line.endswith(b"n "):
            entries[n] = int(line[:10])
    return entries


def assert_valid_pdf(data: bytes, *, pages: int) -> PdfReader:
    entries = xref_entries(data)
    for num, offset in entries.items():
        assert re.match(rb"%d 0 obj" % num, data[offset : offset + 20]), (num, data[offset : offset + 20])
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == pages
    if shutil.which("pdfinfo") is None:
        needs("poppler's pdfinfo is not installed")
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    assert info.stderr == b"", info.stderr
    assert re.search(rb"^Pages:\s+%d$" % pages, info.stdout, re.M), info.stdout
    return reader


def pdftotext(data: bytes, page: int) -> str:
    """One page's text as poppler extracts it."""
    result = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-", "-"], input=data, capture_output=True, check=True
    )
    assert result.stderr == b"", result.stderr
    return result.stdout.decode()

"""One PDF out of many small ones, written as they come: the output holds any number of pages, memory one part.

A long document (20 000 notice letters) is drawn in parts of a few hundred pages, each its own small PDF.
``PdfConcatenation.append`` copies a part's objects to the output at once, renumbered, and keeps only their
byte offsets (8 bytes an object) for the cross-reference table written by ``close``. A part's page tree is
kept whole and becomes one branch under the document's page tree, so pages are copied byte for byte but for
their object numbers; inherited page attributes stay valid.

Parts are read by a small parser of our own (pypdf is only a development dependency): it knows the classic
cross-reference table that reportlab writes and refuses cross-reference streams and incremental updates
with ``PdfStreamError``. Only a part's pages and what they use are copied, plus the first part's document
information (title, author); outlines and other catalog entries of the parts are dropped.

Shared fonts (``share_fonts=True``): the font dictionaries of all parts become one, written at the end, and
for each font name the last part's version wins. That is right only when every part encodes text for a
name the same way and each later version contains the earlier ones — what ``campaign.pdf.ChunkedCanvas``
arranges for reportlab's TrueType subsets. Without it the embedded Japanese font would be in the file once
per part. The font versions waiting for the end are one part's fonts at most: bounded by the font, not by
the number of pages.
"""

from __future__ import annotations

import re
import secrets
from array import array
from collections import deque
from dataclasses import dataclass
from typing import IO


class PdfStreamError(Exception):
    """A part this module cannot read, or a misuse; a programming error, not something for a clerk."""


_WS = rb" \t\r\n\f\0"
_DELIM = rb"()<>\[\]{}/%"
_TOKEN = re.compile(
    rb"(?P<ws>[" + _WS + rb"]+)"
    rb"|(?P<comment>%[^\r\n]*)"
    rb"|(?P<string>\()"
    rb"|(?P<dict><<|>>)"
    rb"|(?P<hex><[^>]*>)"
    rb"|(?P<name>/[^" + _WS + _DELIM + rb"]*)"
    rb"|(?P<ref>(?P<num>\d+)[" + _WS + rb"]+\d+[" + _WS + rb"]+R(?![^" + _WS + _DELIM + rb"]))"
    rb"|(?P<punct>[\[\]{}])"
    rb"|(?P<word>[^" + _WS + _DELIM + rb"]+)"
)
_PAREN = re.compile(rb"[\\()]")
_OBJ_HEADER = re.compile(rb"(\d+)[" + _WS + rb"]+(\d+)[" + _WS + rb"]+obj")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_SUBSECTION = re.compile(rb"[" + _WS + rb"]*(\d+) (\d+)[" + _WS + rb"]+")


@dataclass(frozen=True)
class _Ref:
    start: int  # the reference `12 0 R` spans data[start:end]
    end: int
    num: int
    key: bytes | None  # the dictionary key just before it (b"/Font"), if any


def _skip_string(data: bytes, pos: int, end: int) -> int:
    """The position after the literal string starting at ``pos`` (balanced parentheses, backslash escapes)."""
    depth = 0
    while True:
        m = _PAREN.search(data, pos, end)
        if m is None:
            raise PdfStreamError("unterminated string")
        ch = data[m.start()]
        if ch == 0x5C:  # backslash: skip the escaped byte
            pos = m.start() + 2
            continue
        depth += 1 if ch == 0x28 else -1
        pos = m.end()
        if depth == 0:
            return pos


def _scan(data: bytes, pos: int, end: int) -> tuple[list[_Ref], int | None]:
    """The references in ``data[pos:end]`` (outside strings and comments), and where the keyword ``stream``
    starts if the object has a stream (its bytes are not looked at)."""
    refs: list[_Ref] = []
    key = None
    while pos < end:
        m = _TOKEN.match(data, pos, end)
        if m is None:
            raise PdfStreamError(f"unreadable object at byte {pos}")
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            pos = m.end()
            continue
        if kind == "string":
            pos = _skip_string(data, pos, end)
        elif kind == "name":
            key = m.group()
            pos = m.end()
            continue
        elif kind == "ref":
            refs.append(_Ref(pos, m.end(), int(m.group("num")), key))
        elif kind == "word" and m.group() == b"stream":
            return refs, pos
        elif kind == "word" and m.group() == b"endobj":
            return refs, None
        if kind != "string":
            pos = m.end()
        key = None
    return refs, None


@dataclass
class _Object:
    start: int  # of "12 0 obj"
    body: int  # just after "obj"
    end: int  # just after "endobj"
    refs: list[_Ref]
    dict_end: int  # where the dictionary part ends (the stream keyword, or endobj)


class _Part:
    """A PDF in memory with a classic cross-reference table, its objects parsed on demand."""

    def __init__(self, data: bytes):
        self.data = data
        if not data.startswith(b"%PDF-"):
            raise PdfStreamError("not a PDF")
        self.version = data[5:8]
        tail = data.rfind(b"startxref")
        if tail < 0:
            raise PdfStreamError("no startxref")
        xref_at = int(data[tail + 9 :].split()[0])
        if not data.startswith(b"xref", xref_at):
            raise PdfStreamError("cross-reference streams are not supported (only classic xref tables)")
        self.offsets: dict[int, int] = {}
        pos = xref_at + 4
        trailer = data.find(b"trailer", pos)
        if trailer < 0:
            raise PdfStreamError("no trailer")
        while True:
            m = _SUBSECTION.match(data, pos, trailer)
            if m is None:
                break
            first, count = int(m.group(1)), int(m.group(2))
            pos = m.end()
            for n in range(first, first + count):
                entry = _XREF_ENTRY.match(data, pos)
                if entry is None:
                    raise PdfStreamError(f"bad xref entry for object {n}")
                if entry.group(3) == b"n":
                    self.offsets[n] = int(entry.group(1))
                pos = entry.end() + 2  # every entry is 20 bytes: the last two are whitespace
        trailer_refs, _stream = _scan(data, trailer + 7, tail)
        keys = {r.key: r.num for r in trailer_refs}
        if b"/Prev" in data[trailer:tail]:
            raise PdfStreamError("incrementally updated PDFs are not supported")
        if b"/Root" not in keys:
            raise PdfStreamError("no /Root in the trailer")
        self.root = keys[b"/Root"]
        self.info = keys.get(b"/Info")
        ends = sorted(self.offsets.values()) + [xref_at]
        self._next = {start: ends[i + 1] for i, start in enumerate(ends[:-1])}
        self._objects: dict[int, _Object] = {}

    def obj(self, num: int) -> _Object:
        found = self._objects.get(num)
        if found is not None:
            return found
        start = self.offsets.get(num)
        if start is None:
            raise PdfStreamError(f"object {num} is referenced but not in the part")
        header = _OBJ_HEADER.match(self.data, start)
        if header is None or int(header.group(1)) != num:
            raise PdfStreamError(f"object {num} is not where the xref says")
        end = self.data.rfind(b"endobj", start, self._next[start])
        if end < 0:
            raise PdfStreamError(f"object {num} has no endobj")
        refs, stream_at = _scan(self.data, header.end(), end)
        found = _Object(start, header.end(), end + 6, refs, stream_at if stream_at is not None else end)
        self._objects[num] = found
        return found

    def dict_bytes(self, num: int) -> bytes:
        o = self.obj(num)
        return self.data[o.body : o.dict_end]

    def ref(self, num: int, key: bytes) -> int | None:
        return next((r.num for r in self.obj(num).refs if r.key == key), None)


@dataclass
class _FontVersion:
    """A font resource of one part kept for the end: its objects' bytes (from after "obj" to "endobj") with
    the references in them, by the part's own object numbers."""

    root: int
    objects: dict[int, tuple[bytes, list[tuple[int, int, int]]]]


class PdfConcatenation:
    """Append whole PDFs to ``out`` one after the other; ``close()`` writes the page tree, catalog and xref.

    Use as a context manager or call ``close()``; ``pages`` is the number of pages appended so far.
    """

    def __init__(self, out: IO[bytes], *, share_fonts: bool = False):
        self.out = out
        self.share_fonts = share_fonts
        self.pages = 0
        self.parts = 0
        self._pos = 0
        self._offsets = array("Q", [0])  # by object number; 0 is the free head of the xref
        self._branches: list[int] = []  # each part's page tree root, by our numbering
        self._pages_root = self._reserve()
        self._fonts_dict: int | None = None
        self._fonts: dict[bytes, _FontVersion] = {}
        self._info: int | None = None
        self._lang: bytes | None = None
        self._closed = False

    def _reserve(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self._pos += len(data)

    def _write_object(self, num: int, body: bytes) -> None:
        self._offsets[num] = self._pos
        self._write(b"%d 0 obj" % num + body + b"\n")

    @staticmethod
    def _renumbered(data: bytes, start: int, end: int, refs: list[tuple[int, int, int]]) -> bytes:
        """``data[start:end]`` with each reference (start, end, new number) written with its new number."""
        pieces = []
        pos = start
        for ref_start, ref_end, num in refs:
            pieces.append(data[pos:ref_start])
            pieces.append(b"%d 0 R" % num)
            pos = ref_end
        pieces.append(data[pos:end])
        return b"".join(pieces)

    def append(self, data: bytes) -> int:
        """Copy the pages of the PDF ``data`` (and what they use) to the output; returns its page count."""
        if self._closed:
            raise PdfStreamError("append after close")
        part = _Part(data)
        if not self._pos:
            self._write(b"%PDF-" + part.version + b"\n%\xe2\xe3\xcf\xd3\n")
        tree = part.ref(part.root, b"/Pages")
        if tree is None:
            raise PdfStreamError("the catalog has no /Pages")
        tree_dict = part.dict_bytes(tree)
        count = re.search(rb"/Count[" + _WS + rb"]+(\d+)", tree_dict)
        if b"/Pages" not in tree_dict or count is None:
            raise PdfStreamError("the page tree root is not a /Pages node")
        if not self.parts:
            lang = re.search(rb"/Lang[" + _WS + rb"]*(\((?:[^()\\]|\\.)*\))", part.dict_bytes(part.root))
            self._lang = lang.group(1) if lang else None

        mapping: dict[int, int] = {}
        queue: deque[int] = deque()
        font_dicts: dict[int, int] = {}  # a part's font dictionaries, taken once each
        font_names: dict[bytes, int] = {}

        def number(local: int) -> int:
            new = mapping.get(local)
            if new is None:
                new = mapping[local] = self._reserve()
                queue.append(local)
            return new

        number(tree)
        if not self.parts and part.info is not None:
            self._info = number(part.info)
        while queue:
            local = queue.popleft()
            o = part.obj(local)
            refs = []
            for r in o.refs:
                if r.key == b"/Font" and self.share_fonts:
                    if r.num not in font_dicts:
                        font_dicts[r.num] = self._take_fonts(part, r.num, font_names)
                    refs.append((r.start, r.end, font_dicts[r.num]))
                else:
                    refs.append((r.start, r.end, number(r.num)))
            body = self._renumbered(part.data, o.body, o.end, refs)
            if local == tree:
                # The part's page tree becomes a branch of ours.
                body = body.replace(b"<<", b"<< /Parent %d 0 R" % self._pages_root, 1)
            self._write_object(mapping[local], body)
        self._branches.append(mapping[tree])
        self.pages += int(count.group(1))
        self.parts += 1
        return int(count.group(1))

    def _take_fonts(self, part: _Part, local_dict: int, taken: dict[bytes, int]) -> int:
        """Keep the fonts of a part's font dictionary for the end (the last part's version of a name wins);
        every page of every part points to the one font dictionary written by ``close``."""
        if self._fonts_dict is None:
            self._fonts_dict = self._reserve()
        for r in part.obj(local_dict).refs:
            if r.key is None:
                raise PdfStreamError("a font dictionary entry without a name")
            if taken.setdefault(r.key, r.num) != r.num:
                raise PdfStreamError(f"two different fonts named {r.key!r} in one part")
            objects = {}
            todo = [r.num]
            while todo:
                local = todo.pop()
                if local in objects:
                    continue
                o = part.obj(local)
                objects[local] = (
                    part.data[o.body : o.end],
                    [(x.start - o.body, x.end - o.body, x.num) for x in o.refs],
                )
                todo.extend(x.num for x in o.refs)
            self._fonts[r.key] = _FontVersion(r.num, objects)
        return self._fonts_dict

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self.pages:
            raise PdfStreamError("a PDF needs at least one page")
        if self._fonts_dict is not None:
            entries = []
            for name, version in self._fonts.items():
                numbers = {local: self._reserve() for local in version.objects}
                for local, (body, refs) in version.objects.items():
                    self._write_object(
                        numbers[local],
                        self._renumbered(body, 0, len(body), [(s, e, numbers[n]) for s, e, n in refs]),
                    )
                entries.append(b"%s %d 0 R" % (name, numbers[version.root]))
            self._write_object(self._fonts_dict, b"\n<<\n" + b" ".join(entries) + b"\n>>\nendobj")
        kids = b" ".join(b"%d 0 R" % n for n in self._branches)
        self._write_object(
            self._pages_root, b"\n<< /Type /Pages /Count %d /Kids [ %s ] >>\nendobj" % (self.pages, kids)
        )
        catalog = self._reserve()
        lang = b" /Lang " + self._lang if self._lang else b""
        self._write_object(
            catalog, b"\n<< /Type /Catalog /Pages %d 0 R%s >>\nendobj" % (self._pages_root, lang)
        )
        xref_at = self._pos
        size = len(self._offsets)
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for start in range(1, size, 4096):
            self._write(
                b"".join(b"%010d 00000 n \n" % offset for offset in self._offsets[start : start + 4096])
            )
        doc_id = secrets.token_hex(16).encode()
        info = b" /Info %d 0 R" % self._info if self._info is not None else b""
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R%s /ID [ <%s> <%s> ] >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, catalog, info, doc_id, doc_id, xref_at)
        )

    def __enter__(self) -> PdfConcatenation:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()

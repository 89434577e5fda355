"""The set-based engine behind every change of book state.

A move selects and locks books (by number ranges, or the lowest-numbered N at a place) where the operation
expects them, and changes them all with one UPDATE. If fewer books changed than were
asked for — a book in the wrong state, at another outlet, never printed, or changed by someone else a moment
ago — the savepoint is rolled back and the clerk gets a message naming the first offending books. Nothing is
ever half-moved. Each move is recorded as ``Movement`` rows (one per state the books left) with their ranges.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.errors import DomainError
from campaign.models import Campaign, Denomination
from vouchers.models import BookState, Movement, MovementRange, Outlet

KEEP_OUTLET = "keep"


class VoucherError(DomainError):
    """A rule of the voucher stock was broken; the message is for the clerk."""


@dataclass(frozen=True, order=True)
class BookRange:
    first: int
    last: int

    @property
    def books(self) -> int:
        return self.last - self.first + 1

    def __str__(self) -> str:
        return f"{self.first:,}" if self.first == self.last else f"{self.first:,}–{self.last:,}"


_RANGE_RE = re.compile(r"^(\d+)(?:\s*[-~〜～–]\s*(\d+))?$")


def parse_ranges(text: str) -> list[BookRange]:
    """"100-199, 250 300〜310" → ranges. Full-width digits and Japanese separators are accepted."""
    text = unicodedata.normalize("NFKC", text or "").replace("、", ",").replace("〜", "~")
    ranges = []
    for token in re.split(r"[,\s;]+(?![-~–])", text.strip()):
        token = token.strip()
        if not token:
            continue
        token = re.sub(r"\s*([-~–])\s*", r"\1", token)
        match = _RANGE_RE.match(token)
        if not match:
            raise VoucherError(_("“%(token)s” is not a book number or a range like 100-199.") % {"token": token})
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first < 1 or last < first:
            raise VoucherError(_("“%(token)s”: the range must run from a smaller to a larger book number.")
                               % {"token": token})
        ranges.append(BookRange(first, last))
    return normalise(ranges)


def normalise(ranges: list[BookRange]) -> list[BookRange]:
    """Sort and join adjacent ranges; a book named twice is an error, not silently merged."""
    merged: list[BookRange] = []
    for current in sorted(ranges):
        if merged and current.first <= merged[-1].last:
            raise VoucherError(_("Book %(book)s is named twice (ranges %(a)s and %(b)s overlap).")
                               % {"book": f"{current.first:,}", "a": merged[-1], "b": current})
        if merged and current.first == merged[-1].last + 1:
            merged[-1] = BookRange(merged[-1].first, current.last)
        else:
            merged.append(current)
    return merged


def compress(numbers: list[int]) -> list[BookRange]:
    """Sorted book numbers → contiguous ranges."""
    out: list[BookRange] = []
    for number in numbers:
        if out and number == out[-1].last + 1:
            out[-1] = BookRange(out[-1].first, number)
        else:
            out.append(BookRange(number, number))
    return out


@dataclass(frozen=True)
class Pick:
    """Select the lowest-numbered ``books`` books of a denomination (e.g. "30 books of ¥1,000")."""

    denomination: Denomination
    books: int


class _Shortfall(Exception):
    pass


def move_books(
    *,
    campaign: Campaign,
    kind: str,
    actor,
    occurred_on: date,
    from_states: tuple[str, ...],
    to_state: str,
    ranges: list[BookRange] | None = None,
    pick: Pick | None = None,
    from_outlet: Outlet | None = None,
    to_outlet: Outlet | str | None = None,
    denomination: Denomination | None = None,
    refs: dict | None = None,
) -> list[Movement]:
    """Move the selected books; returns the recorded movements. Raises VoucherError, changing nothing."""
    if (ranges is None) == (pick is None):
        raise ValueError("give ranges or pick")
    if occurred_on > timezone.localdate():
        raise VoucherError(_("The date %(date)s is in the future.") % {"date": occurred_on.isoformat()})
    if ranges is not None:
        ranges = normalise(ranges)
        if not ranges:
            raise VoucherError(_("No book numbers were given."))
        _check_single_denomination(campaign, ranges, denomination)
        expected = sum(r.books for r in ranges)
    else:
        if pick.books <= 0:
            raise VoucherError(_("The number of books must be at least 1."))
        expected = pick.books
        denomination = pick.denomination

    conditions = ["b.campaign_id = %(campaign)s", "b.state = ANY(%(from_states)s)", "b.last_moved_on <= %(on)s"]
    params: dict = {"campaign": campaign.pk, "from_states": list(from_states), "on": occurred_on,
                    "to_state": to_state}
    if from_outlet is not None:
        conditions.append("b.outlet_id = %(from_outlet)s")
        params["from_outlet"] = from_outlet.pk
    if denomination is not None:
        conditions.append("b.denomination_id = %(denomination)s")
        params["denomination"] = denomination.pk
    if ranges is not None:
        params["los"] = [r.first for r in ranges]
        params["his"] = [r.last for r in ranges]
        # The WHERE fragments above are constants; every value is a bound parameter.
        selection = (
            "SELECT b.id, b.number, b.denomination_id, b.state, b.outlet_id FROM vouchers_book b "
            "JOIN unnest(%(los)s::int[], %(his)s::int[]) AS r(lo, hi) ON b.number BETWEEN r.lo AND r.hi "
            f"WHERE {' AND '.join(conditions)}"
        )
    else:
        params["limit"] = pick.books
        selection = (
            f"SELECT b.id, b.number, b.denomination_id, b.state, b.outlet_id FROM vouchers_book b "
            f"WHERE {' AND '.join(conditions)} ORDER BY b.number LIMIT %(limit)s"
        )
    if to_outlet == KEEP_OUTLET:
        outlet_sql = "b.outlet_id"
    elif to_outlet is None:
        outlet_sql = "NULL"
    else:
        outlet_sql = "%(to_outlet)s"
        params["to_outlet"] = to_outlet.pk
    # Read, then write only the rows that are still exactly as read: a concurrent move of any of them makes
    # the UPDATE change fewer rows than were read, and the whole move is rolled back (optimistic, no row locks).
    # Two statements rather than UPDATE ... FROM (SELECT ...): the planner cannot size a range given as an
    # array parameter and would scan the whole table for the join; joining on ids walks the primary key.
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(selection, params)
                selected = cursor.fetchall()
                if len(selected) != expected:
                    raise _Shortfall
                params["ids"] = [row[0] for row in selected]
                params["states"] = [row[3] for row in selected]
                params["outlets"] = [row[4] for row in selected]
                cursor.execute(
                    f"UPDATE vouchers_book b SET state = %(to_state)s, outlet_id = {outlet_sql}, "
                    "last_moved_on = %(on)s "
                    "FROM unnest(%(ids)s::bigint[], %(states)s::varchar[], %(outlets)s::bigint[]) AS u(id, st, o) "
                    "WHERE b.id = u.id AND b.state = u.st AND b.outlet_id IS NOT DISTINCT FROM u.o "
                    "AND b.last_moved_on <= %(on)s",
                    params,
                )
                if cursor.rowcount != expected:
                    raise _Shortfall
            rows = [(number, denomination_id, state, outlet_id) for _id, number, denomination_id, state, outlet_id
                    in selected]
            return _record(campaign=campaign, kind=kind, actor=actor, occurred_on=occurred_on, rows=rows,
                           to_state=to_state, to_outlet=to_outlet, refs=refs or {})
    except _Shortfall:
        pass
    # Rolled back; explain why in the clerk's terms.
    if ranges is not None:
        raise VoucherError(_explain(campaign, ranges, from_states, from_outlet, occurred_on))
    available = _count(campaign, from_states, from_outlet, denomination)
    raise VoucherError(
        _("Only %(available)s books of %(denomination)s are available here; %(asked)s were asked for.")
        % {"available": f"{available:,}", "denomination": denomination.name, "asked": f"{expected:,}"}
    )


def _record(*, campaign, kind, actor, occurred_on, rows, to_state, to_outlet, refs) -> list[Movement]:
    groups: dict[tuple[str, int | None], list[tuple[int, int]]] = defaultdict(list)
    for number, denomination_id, old_state, old_outlet in rows:
        groups[(old_state, old_outlet)].append((denomination_id, number))
    movements = []
    for (old_state, old_outlet), books in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
        if to_outlet == KEEP_OUTLET:
            target_outlet_id = old_outlet
        else:
            target_outlet_id = to_outlet.pk if to_outlet is not None else None
        movement = Movement.objects.create(
            campaign=campaign, kind=kind, occurred_on=occurred_on, from_state=old_state, from_outlet_id=old_outlet,
            to_state=to_state, to_outlet_id=target_outlet_id, books=len(books), actor=actor, **refs,
        )
        ranges = []
        books.sort()
        for denomination_id, run in groupby(books, key=lambda pair: pair[0]):
            for book_range in compress([number for _d, number in run]):
                ranges.append(MovementRange(movement=movement, denomination_id=denomination_id,
                                            first_book=book_range.first, last_book=book_range.last))
        MovementRange.objects.bulk_create(ranges, batch_size=5000)
        movements.append(movement)
    return movements


def _check_single_denomination(campaign, ranges, denomination) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.lo, r.hi, array_agg(DISTINCT b.denomination_id) FROM vouchers_book b "
            "JOIN unnest(%s::int[], %s::int[]) AS r(lo, hi) ON b.number BETWEEN r.lo AND r.hi "
            "WHERE b.campaign_id = %s GROUP BY r.lo, r.hi",
            [[r.first for r in ranges], [r.last for r in ranges], campaign.pk],
        )
        for lo, hi, denominations in cursor.fetchall():
            if len(denominations) > 1:
                names = ", ".join(d.name for d in Denomination.objects.filter(pk__in=denominations))
                raise VoucherError(_("The range %(range)s crosses denominations (%(names)s); enter one range per "
                                     "denomination.") % {"range": BookRange(lo, hi), "names": names})
            if denomination is not None and denominations[0] != denomination.pk:
                raise VoucherError(_("The range %(range)s holds books of another denomination than %(name)s.")
                                   % {"range": BookRange(lo, hi), "name": denomination.name})


STATE_LABELS = dict(BookState.choices)


def _explain(campaign, ranges, from_states, from_outlet, occurred_on) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.lo, r.hi, count(b.id) FROM unnest(%s::int[], %s::int[]) AS r(lo, hi) "
            "LEFT JOIN vouchers_book b ON b.campaign_id = %s AND b.number BETWEEN r.lo AND r.hi "
            "GROUP BY r.lo, r.hi ORDER BY r.lo",
            [[r.first for r in ranges], [r.last for r in ranges], campaign.pk],
        )
        for lo, hi, found in cursor.fetchall():
            if found != hi - lo + 1:
                return _("Some books in %(range)s were never printed (%(missing)s of %(total)s do not exist).") % {
                    "range": BookRange(lo, hi), "missing": f"{hi - lo + 1 - found:,}", "total": f"{hi - lo + 1:,}"}
        cursor.execute(
            "SELECT b.number, b.state, o.name, b.last_moved_on FROM vouchers_book b "
            "JOIN unnest(%s::int[], %s::int[]) AS r(lo, hi) ON b.number BETWEEN r.lo AND r.hi "
            "LEFT JOIN vouchers_outlet o ON o.id = b.outlet_id "
            "WHERE b.campaign_id = %s AND NOT (b.state = ANY(%s) AND (%s::bigint IS NULL OR b.outlet_id = %s) "
            "AND b.last_moved_on <= %s) ORDER BY b.number LIMIT 6",
            [[r.first for r in ranges], [r.last for r in ranges], campaign.pk, list(from_states),
             from_outlet.pk if from_outlet else None, from_outlet.pk if from_outlet else None, occurred_on],
        )
        offenders = cursor.fetchall()
    if not offenders:
        return _("The books changed while you were entering them; reload and try again.")
    expected = " / ".join(str(STATE_LABELS[s]) for s in from_states)
    if from_outlet is not None:
        expected += f"（{from_outlet.name}）"
    details = []
    for number, state, outlet_name, moved_on in offenders[:5]:
        where = str(STATE_LABELS[state]) + (f"（{outlet_name}）" if outlet_name else "")
        if state in from_states and moved_on > occurred_on and (from_outlet is None or outlet_name == from_outlet.name):
            where = _("last moved on %(date)s, after the date entered") % {"date": moved_on.isoformat()}
        details.append(_("book %(number)s: %(where)s") % {"number": f"{number:,}", "where": where})
    more = _(" and more") if len(offenders) > 5 else ""
    return _("These books are not %(expected)s: %(details)s%(more)s. Nothing was changed.") % {
        "expected": expected, "details": "; ".join(details), "more": more}


def _count(campaign, from_states, from_outlet, denomination) -> int:
    from vouchers.models import Book

    qs = Book.objects.filter(campaign=campaign, state__in=from_states)
    if from_outlet is not None:
        qs = qs.filter(outlet=from_outlet)
    if denomination is not None:
        qs = qs.filter(denomination=denomination)
    return qs.count()

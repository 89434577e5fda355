"""The booking hot path: one statement that takes a seat with a conditional UPDATE of the slot's counter and
inserts the reservation only if it got one. Everything here is raw SQL on purpose: when booking opens thousands
of phones arrive at once, and a query per field or an ORM round trip per object shows up directly in the
bookings per second.

The guard is the UPDATE's ``booked < capacity``: PostgreSQL re-evaluates it on the row's newest version
after waiting for a concurrent writer, so no two transactions can both take the last seat. The check
constraint ``resv_slot_not_overbooked`` stands behind it, and ``tests/reservations/test_races.py`` shows
that removing the guard (``UNSAFE_CHECK_THEN_WRITE``) does overbook.

A repeated submit (same idempotency key) or a second active reservation of the same resident fails the INSERT
on a unique index, which fails the whole statement: the seat it took is not counted. Outside a transaction the
statement is the transaction — one round trip to the database per booking; with work that must commit with the
booking (``on_booked``: audit, the applicant's progress) it runs in one with that work.

Why the UPDATE comes first: measured under ``manage.py bench_booking`` (200 clients on 100 slots), the
INSERT-first order made every booking's foreign-key check share-lock the slot row that a concurrent booking
was about to update, so PostgreSQL built a multixact for nearly every seat; taking the seat first means the
check finds the row already locked by its own transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import date

import psycopg
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from reservations.errors import ReservationError

# Test-only switch: read the counter, compare in Python, write it back — the classic lost-update race.
# Never set outside tests/reservations/test_races.py.
UNSAFE_CHECK_THEN_WRITE = False
UNSAFE_PAUSE_SECONDS = 0.0

IDEMPOTENCY_REPLAY_SECONDS = 600
REPLAY_KEY_WAITS = 20  # × 10 ms: how long a replay waits for the first submit to store its access key

_COLUMNS = ("name", "kana", "sex", "birth_date", "postal_code", "address", "phone", "phone2", "fax", "email")

_INSERT = (
    "INSERT INTO reservations_reservation (campaign_id, slot_id, status, channel, resident_id, resident_number, "
    "access_key_hash, idempotency_key, name, kana, sex, birth_date, postal_code, address, phone, phone2, fax, "
    "email, extra, created_at, created_ip, booked_by_id, arrival_memo) "
    "VALUES (%s, %s, 'booked', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, now(), %s, "
    "%s, '') RETURNING id"
)
# The seat, then the reservation from the seat's row: no seat, no row. The statement answers with the new
# reservation's id (NULL without a seat) and, for a refusal's wording, the slot as it was when the statement
# began (no answer at all: no such slot of this campaign).
_BOOK = (
    "WITH seat AS ({take} RETURNING id), "
    "booked AS (INSERT INTO reservations_reservation (campaign_id, slot_id, status, channel, resident_id, "
    "resident_number, access_key_hash, idempotency_key, name, kana, sex, birth_date, postal_code, address, phone, "
    "phone2, fax, email, extra, created_at, created_ip, booked_by_id, arrival_memo) "
    "SELECT %s, seat.id, 'booked', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, now(), "
    "%s, %s, '' FROM seat RETURNING id) "
    "SELECT (SELECT id FROM booked), is_open, starts_at > now(), ends_at > now() FROM reservations_slot "
    "WHERE id = %s AND campaign_id = %s"
)
_TAKE_PUBLIC = (
    "UPDATE reservations_slot SET booked = booked + 1 WHERE id = %s AND campaign_id = %s AND is_open "
    "AND booked < capacity AND starts_at > now()"
)
_TAKE_STAFF = (
    "UPDATE reservations_slot SET booked = booked + 1 WHERE id = %s AND campaign_id = %s "
    "AND booked < staff_capacity AND ends_at > now()"
)
_RELEASE = "UPDATE reservations_slot SET booked = booked - 1 WHERE id = %s"
_BOOK_PUBLIC = _BOOK.format(take=_TAKE_PUBLIC)
_BOOK_STAFF = _BOOK.format(take=_TAKE_STAFF)


# --- access keys -------------------------------------------------------------------------------------------

# Crockford's base32 alphabet: no I, L, O, U, so a key read over the phone is not misheard.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def access_key_new() -> str:
    """A random access key of 130 bits: 26 characters in groups of four, for reading aloud."""
    value = secrets.randbits(130)
    chars = []
    for _i in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    text = "".join(chars)
    return "-".join(text[i:i + 4] for i in range(0, 26, 4))


def access_key_normalize(key: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKC", key or "").upper()
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    return "".join(ch for ch in text if ch in _ALPHABET)


def access_key_hash(key: str) -> str:
    """SHA-256 of the normalised key. A fast hash is enough: the key has 130 random bits, nothing to guess."""
    return hashlib.sha256(access_key_normalize(key).encode()).hexdigest()


# --- the booking itself ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Booked:
    reservation_id: int
    slot_id: int
    access_key: str | None
    replay: bool = False


def _constraint(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _replay_cache_key(campaign_id: int, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{campaign_id}:{idempotency_key}".encode()).hexdigest()[:32]
    return f"resv:idem:{digest}"


def _take_seat_unsafe(cursor, slot_id: int, campaign_id: int, staff: bool) -> bool:
    column = "staff_capacity" if staff else "capacity"
    cursor.execute(f"SELECT booked, {column} FROM reservations_slot WHERE id = %s AND campaign_id = %s",  # noqa: S608
                   [slot_id, campaign_id])
    row = cursor.fetchone()
    if row is None or row[0] >= row[1]:
        return False
    if UNSAFE_PAUSE_SECONDS:
        time.sleep(UNSAFE_PAUSE_SECONDS)
    cursor.execute("UPDATE reservations_slot SET booked = %s WHERE id = %s", [row[0] + 1, slot_id])
    return True


def why_not_bookable(slot_id: int, campaign_id: int, *, staff: bool) -> ReservationError:
    """After the guard refused: say why in words (full, closed, past), read outside the failed transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT booked, capacity, staff_capacity, is_open, starts_at > now(), ends_at > now() "
                       "FROM reservations_slot WHERE id = %s AND campaign_id = %s", [slot_id, campaign_id])
        row = cursor.fetchone()
    if row is None:
        return ReservationError(_("This time slot does not exist."), code="not_found")
    _booked, _capacity, _staff_capacity, is_open, future, not_over = row
    return _refusal(is_open=is_open, future=future, not_over=not_over, staff=staff)


def _refusal(*, is_open: bool, future: bool, not_over: bool, staff: bool) -> ReservationError:
    """Why the guard refused a slot that exists: it has passed, it is closed, or (else) it is full."""
    if not (not_over if staff else future):
        return ReservationError(_("This time slot has already passed. Please choose another."), code="past")
    if not staff and not is_open:
        return ReservationError(_("This time slot is closed for booking. Please choose another."), code="closed")
    return ReservationError(_("Sorry, this time slot has just been fully booked. Please choose another."),
                            code="full")


def book(*, campaign_id: int, slot_id: int, basic: dict, extra: dict, channel: str, staff: bool = False,
         resident_id: int | None = None, resident_number: str = "", idempotency_key: str = "",
         ip: str | None = None, booked_by_id: int | None = None, with_access_key: bool = True,
         on_booked=None) -> Booked:
    """Take a seat and insert the reservation, or raise ``ReservationError`` with nothing written.

    ``on_booked(reservation_id)`` runs inside the transaction after the seat is taken (audit, progress
    events); if it raises, the booking is rolled back with it.
    """
    key = access_key_new() if with_access_key else None
    params = [campaign_id, slot_id, channel, resident_id, resident_number, access_key_hash(key) if key else "",
              idempotency_key]
    for column in _COLUMNS:
        value = basic.get(column)
        params.append(value if value is not None or column == "birth_date" else "")
    params += [json.dumps(extra, ensure_ascii=False, default=_json_default), ip, booked_by_id]
    # One statement on its own commits by itself (autocommit); inside a caller's transaction, or with work that
    # must commit with the booking, it gets a transaction (or savepoint) of its own so that a refusal leaves the
    # caller's transaction usable.
    alone = on_booked is None and not UNSAFE_CHECK_THEN_WRITE and not connection.in_atomic_block
    try:
        with (contextlib.nullcontext() if alone else transaction.atomic()), connection.cursor() as cursor:
            if UNSAFE_CHECK_THEN_WRITE:
                reservation_id = _book_unsafe(cursor, params, slot_id, campaign_id, staff)
            else:
                # (the seat's id stands for params[1], the slot id)
                row = _prepared(_BOOK_STAFF if staff else _BOOK_PUBLIC,
                                [slot_id, campaign_id, params[0], *params[2:], slot_id, campaign_id])
                if row is None:
                    raise ReservationError(_("This time slot does not exist."), code="not_found")
                reservation_id, is_open, future, not_over = row
                if reservation_id is None:  # said without another query: a refusal costs what a booking does
                    raise _refusal(is_open=is_open, future=future, not_over=not_over, staff=staff)
            if reservation_id is None:
                raise _NoSeat
            if idempotency_key and key and not alone:
                # Written before the commit: a double click that waits on our unique index finds it at once.
                _remember_key(campaign_id, idempotency_key, reservation_id, key)
            if on_booked is not None:
                on_booked(reservation_id)
        if idempotency_key and key and alone:
            # Just after the commit; a double click that lands in between waits for it in _replay.
            _remember_key(campaign_id, idempotency_key, reservation_id, key)
    except _NoSeat:
        raise why_not_bookable(slot_id, campaign_id, staff=staff) from None
    except IntegrityError as exc:
        name = _constraint(exc)
        if name == "resv_idempotency_key_unique":
            return _replay(campaign_id, idempotency_key)
        if name in ("resv_one_active_per_resident", "resv_one_active_per_resident_number"):
            raise ReservationError(_("You already have a reservation in this campaign. Change or cancel it "
                                     "instead of booking again."), code="duplicate") from None
        if name == "reservations_reservation_slot_id_fkey" or "slot_id" in str(exc):
            raise ReservationError(_("This time slot does not exist."), code="not_found") from None
        raise
    return Booked(reservation_id=reservation_id, slot_id=slot_id, access_key=key)


def _prepared(sql: str, params: list):
    """Run ``sql`` as a prepared statement on this thread's connection and return its first row.

    Django's cursors bind parameters on the client, so PostgreSQL parses and plans the booking statement
    afresh for every booking; a server-side cursor with ``prepare=True`` has it parsed once per connection
    (psycopg keeps the prepared statement). Errors come out as Django's, as from any other query.
    """
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()


def _book_unsafe(cursor, params: list, slot_id: int, campaign_id: int, staff: bool) -> int | None:
    """The test-only lost-update version: insert, then read-compare-write the counter in Python."""
    cursor.execute(_INSERT, params)
    reservation_id = cursor.fetchone()[0]
    return reservation_id if _take_seat_unsafe(cursor, slot_id, campaign_id, staff) else None


def _remember_key(campaign_id: int, idempotency_key: str, reservation_id: int, key: str) -> None:
    cache.set(_replay_cache_key(campaign_id, idempotency_key), f"{reservation_id}:{key}", IDEMPOTENCY_REPLAY_SECONDS)


def _replay(campaign_id: int, idempotency_key: str) -> Booked:
    """The same submit again: answer with the first booking (and its key while the replay cache holds it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, slot_id, access_key_hash <> '' AND created_at > now() - interval '5 seconds' "
                       "FROM reservations_reservation WHERE campaign_id = %s AND idempotency_key = %s",
                       [campaign_id, idempotency_key])
        row = cursor.fetchone()
    if row is None:  # the first attempt rolled back after all; the client may simply retry
        raise ReservationError(_("Your previous attempt is still being processed. Please try again."),
                               code="busy")
    number, key = "", ""
    for attempt in range(REPLAY_KEY_WAITS if row[2] else 1):
        # The first submit stores its key just after its commit: a double click can land in between.
        number, _sep, key = (cache.get(_replay_cache_key(campaign_id, idempotency_key)) or "").partition(":")
        if number == str(row[0]) or not row[2] or attempt == REPLAY_KEY_WAITS - 1:
            break
        time.sleep(0.01)
    return Booked(reservation_id=row[0], slot_id=row[1], access_key=key if number == str(row[0]) else None,
                  replay=True)


def release_seat(cursor, slot_id: int) -> None:
    cursor.execute(_RELEASE, [slot_id])


def take_seat(cursor, *, slot_id: int, campaign_id: int, staff: bool) -> bool:
    cursor.execute(_TAKE_STAFF if staff else _TAKE_PUBLIC, [slot_id, campaign_id])
    return cursor.rowcount == 1


class _NoSeat(Exception):
    pass


def _json_default(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))

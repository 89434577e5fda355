"""The printed ticket code: what is valid, which errors are caught at once, and what a forger cannot do."""

from __future__ import annotations

import hashlib
import hmac
import string

import hypothesis
import pytest
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from vouchers.serials import (
    CODE_LENGTH,
    ParsedCode,
    TicketId,
    Verdict,
    check_code,
    damm_digit,
    damm_valid,
    group_code,
    keys_by_prefix,
    make_code,
    normalize_input,
    parse_code,
    verify_many,
)

KEY = b"jimukyoku-test-key"
OTHER_KEY = b"another-campaign-key"
EXAMPLE = TicketId(prefix=12, denomination=1, book=123, ticket=5)
# Printed tickets depend on these exact digits: if this vector changes, every ticket in circulation breaks.
EXAMPLE_CODE = "121000012305651447379"

CAUGHT_WHILE_TYPING = {Verdict.TYPO, Verdict.MALFORMED}

tickets = st.builds(
    TicketId,
    prefix=st.integers(10, 99),
    denomination=st.integers(1, 9),
    book=st.integers(1, 9_999_999),
    ticket=st.integers(1, 99),
)
keys = st.binary(min_size=16, max_size=64)
examples = hypothesis.settings(max_examples=200, deadline=None)
# Each example of the single-digit test checks 189 variants of the code.
few_examples = hypothesis.settings(max_examples=50, deadline=None)


def only(prefix: int, key: bytes):
    """A key lookup that knows one campaign."""
    return {prefix: key}.get


# --- Damm digit -----------------------------------------------------------------------------------------


def test_damm_digit_matches_the_published_example():
    assert damm_digit("572") == "4"
    assert damm_valid("5724")
    assert not damm_valid("5723")


def test_damm_rejects_non_digits():
    with pytest.raises(ValueError):
        damm_digit("57a")
    assert not damm_valid("")
    assert not damm_valid("٥٧٢٤")  # Arabic-Indic digits are digits to Python, not to a ticket code


# --- Making codes ---------------------------------------------------------------------------------------


def test_the_code_is_the_fields_then_the_keyed_check_code_then_the_damm_digit():
    code = make_code(EXAMPLE, KEY)

    assert code == EXAMPLE_CODE
    assert code[:12] == "121000012305"
    mac = hmac.new(KEY, b"121000012305", hashlib.sha256).digest()
    assert code[12:20] == check_code(EXAMPLE, KEY) == f"{int.from_bytes(mac[:8], 'big') % 10**8:08d}"
    assert code[20] == damm_digit(code[:20])


def test_the_printed_form_is_grouped_for_reading_aloud():
    assert group_code(EXAMPLE_CODE) == "121-0000123-05-6514-47379"
    assert group_code("121000012305123456789") == "121-0000123-05-1234-56789"


def test_grouping_refuses_anything_but_a_whole_code():
    with pytest.raises(ValueError):
        group_code("12100001230512345678")


@pytest.mark.parametrize(
    "fields",
    [
        (9, 1, 1, 1),
        (100, 1, 1, 1),
        (12, 0, 1, 1),
        (12, 10, 1, 1),
        (12, 1, 0, 1),
        (12, 1, 10_000_000, 1),
        (12, 1, 1, 0),
        (12, 1, 1, 100),
        (12, 1, 1, True),
        (12, 1, "5", 1),
    ],
)
def test_a_ticket_id_outside_the_code_layout_is_refused(fields):
    with pytest.raises(ValueError):
        TicketId(*fields)


# --- Properties -----------------------------------------------------------------------------------------


@examples
@given(ticket=tickets, key=keys)
def test_every_generated_code_verifies_as_the_same_ticket(ticket, key):
    code = make_code(ticket, key)

    parsed = parse_code(code, only(ticket.prefix, key))

    assert len(code) == CODE_LENGTH and code.isdigit()
    assert parsed == ParsedCode(Verdict.VALID, code, ticket)
    assert parse_code(group_code(code), only(ticket.prefix, key)).verdict is Verdict.VALID


@few_examples
@given(ticket=tickets, key=keys)
def test_every_single_digit_error_is_caught_while_typing(ticket, key):
    code = make_code(ticket, key)
    lookup = only(ticket.prefix, key)

    for position in range(CODE_LENGTH):
        for digit in "0123456789":
            if digit == code[position]:
                continue
            typo = code[:position] + digit + code[position + 1 :]
            assert parse_code(typo, lookup).verdict in CAUGHT_WHILE_TYPING, (typo, position)


@examples
@given(ticket=tickets, key=keys)
def test_every_adjacent_transposition_is_caught_while_typing(ticket, key):
    code = make_code(ticket, key)
    lookup = only(ticket.prefix, key)

    for position in range(CODE_LENGTH - 1):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2 :]
        assert parse_code(swapped, lookup).verdict in CAUGHT_WHILE_TYPING, (swapped, position)


@examples
@given(
    ticket=tickets,
    key=keys,
    new_book=st.integers(1, 9_999_999),
    new_ticket=st.integers(1, 99),
)
def test_a_forged_book_or_ticket_number_with_a_correct_damm_digit_fails_the_check_code(
    ticket, key, new_book, new_ticket
):
    """A forger who knows the layout and the Damm table, but not the key, still cannot mint a ticket."""
    forged = TicketId(ticket.prefix, ticket.denomination, new_book, new_ticket)
    assume(forged != ticket)
    assume(check_code(forged, key) != check_code(ticket, key))  # a 1 in 10**8 coincidence
    genuine = make_code(ticket, key)
    body = forged.head + genuine[12:20]

    parsed = parse_code(body + damm_digit(body), only(ticket.prefix, key))

    assert parsed.verdict is Verdict.BAD_CHECK
    assert parsed.ticket == forged


@examples
@given(ticket=tickets, key=keys, other_key=keys)
def test_a_code_made_with_another_key_fails_the_check_code(ticket, key, other_key):
    assume(check_code(ticket, key) != check_code(ticket, other_key))

    parsed = parse_code(make_code(ticket, other_key), only(ticket.prefix, key))

    assert parsed.verdict is Verdict.BAD_CHECK


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SEPARATORS = ["", " ", "-", "\u3000", "ー", "－", "−", "‐", " - "]


@examples
@given(
    ticket=tickets,
    full_width=st.booleans(),
    separators=st.lists(st.sampled_from(SEPARATORS), min_size=4, max_size=4),
    padding=st.sampled_from(["", " ", "\u3000", "\n"]),
)
def test_full_width_digits_spaces_and_dashes_are_read_as_typed(ticket, full_width, separators, padding):
    code = make_code(ticket, KEY)
    groups = group_code(code).split("-")
    typed = groups[0] + "".join(sep + group for sep, group in zip(separators, groups[1:], strict=True))
    if full_width:
        typed = typed.translate(FULL_WIDTH)

    parsed = parse_code(padding + typed + padding, only(ticket.prefix, KEY))

    assert parsed.verdict is Verdict.VALID
    assert parsed.digits == code
    assert parsed.ticket == ticket


@examples
@given(
    ticket=tickets,
    position=st.integers(0, CODE_LENGTH - 1),
    letter=st.sampled_from(string.ascii_letters + "ＯｏＩｌあア"),
    replace=st.booleans(),
)
def test_a_letter_in_the_code_makes_it_malformed(ticket, position, letter, replace):
    """An O for a 0 or an l for a 1 must not silently turn into some other ticket."""
    code = make_code(ticket, KEY)
    typed = code[:position] + letter + code[position + int(replace) :]

    parsed = parse_code(typed, only(ticket.prefix, KEY))

    assert parsed.verdict is Verdict.MALFORMED
    assert parsed.ticket is None


@examples
@given(ticket=tickets, known_prefix=st.integers(10, 99))
def test_a_prefix_without_a_key_is_an_unknown_campaign(ticket, known_prefix):
    assume(ticket.prefix != known_prefix)

    parsed = parse_code(make_code(ticket, KEY), only(known_prefix, KEY))

    assert parsed.verdict is Verdict.UNKNOWN_CAMPAIGN
    assert parsed.ticket == ticket


# --- Malformed input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12100001230565144737",  # 20 digits
        "1210000123056514473790",  # 22 digits
        "121000012305651447379x",
        "121-0000123-05-6514-4737?",
    ],
)
def test_anything_but_21_digits_is_malformed(text):
    parsed = parse_code(text, only(12, KEY))

    assert parsed.verdict is Verdict.MALFORMED
    assert parsed.ticket is None


@pytest.mark.parametrize(
    "head",
    [
        "051000012305",  # prefix 05: prefixes start at 10
        "120000012305",  # denomination 0
        "121000000005",  # book 0
        "121000012300",  # ticket 0
    ],
)
def test_impossible_fields_are_malformed_even_with_a_correct_damm_digit(head):
    body = head + "12345678"

    assert parse_code(body + damm_digit(body), only(12, KEY)).verdict is Verdict.MALFORMED


def test_normalising_keeps_unexpected_characters_so_they_can_be_refused():
    assert normalize_input("１２１－００００１２３ー05\u30006514 - 47379") == EXAMPLE_CODE
    assert normalize_input("121-0000123-O5") == "1210000123O5"


# --- Messages, bulk and keys ----------------------------------------------------------------------------


def test_each_verdict_explains_itself_to_the_clerk():
    with translation.override("en"):
        messages = {verdict: ParsedCode(verdict, "", None).message for verdict in Verdict}

    assert len(set(messages.values())) == len(Verdict)
    assert "21 digits" in messages[Verdict.MALFORMED]
    assert "typing error" in messages[Verdict.TYPO]
    assert "forged" in messages[Verdict.BAD_CHECK]


def test_bulk_verification_keeps_order_and_looks_each_key_up_once():
    lookups: list[int] = []

    def key_for_prefix(prefix: int) -> bytes | None:
        lookups.append(prefix)
        return {12: KEY}.get(prefix)

    good = [make_code(TicketId(12, 1, book, 1), KEY) for book in range(1, 51)]
    typo = good[0][:-1] + str((int(good[0][-1]) + 1) % 10)
    other_campaign = make_code(TicketId(34, 1, 1, 1), OTHER_KEY)
    codes = [*good, typo, "not a code", other_campaign, make_code(TicketId(12, 1, 99, 1), OTHER_KEY)]

    results = verify_many(iter(codes), key_for_prefix)

    assert next(results).verdict is Verdict.VALID  # a generator: work happens as results are pulled
    rest = list(results)
    assert [r.verdict for r in rest] == [Verdict.VALID] * 49 + [
        Verdict.TYPO,
        Verdict.MALFORMED,
        Verdict.UNKNOWN_CAMPAIGN,
        Verdict.BAD_CHECK,
    ]
    assert [r.ticket.book for r in rest[:49]] == list(range(2, 51))
    assert sorted(lookups) == [12, 34]


def test_campaign_keys_come_from_settings_by_campaign_code(settings):
    settings.VOUCHER_MAC_KEYS = {"TOTTORI2026": KEY, "SHIMANE2026": OTHER_KEY}

    keys = keys_by_prefix([(31, "TOTTORI2026"), (32, "SHIMANE2026"), (33, "NOKEY2026")])

    assert keys == {31: KEY, 32: OTHER_KEY}
    assert parse_code(make_code(TicketId(33, 1, 1, 1), KEY), keys.get).verdict is Verdict.UNKNOWN_CAMPAIGN
    assert parse_code(make_code(TicketId(31, 1, 1, 1), KEY), keys.get).verdict is Verdict.VALID

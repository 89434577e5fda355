"""Random sequences of legal and illegal stock operations: after each, the ledger balances, agrees with the
books, matches a plain-Python model of where every book should be, and a refused operation changed nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from campaign.models import Campaign, Denomination
from tests.vouchers.test_stock import snapshot
from vouchers import services
from vouchers.ledger import ledger_as_of, ledger_current
from vouchers.models import Book, Outlet
from vouchers.movements import BookRange, VoucherError

DAY = date(2026, 10, 21)
A_BOOKS = range(1, 41)  # ¥1,000 books
B_BOOKS = range(41, 61)  # ¥500 books
ALL = 60

book_number = st.integers(min_value=1, max_value=ALL + 3)  # a few never-printed numbers too
span = st.integers(min_value=0, max_value=12)


class StockMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        user = get_user_model().objects.create_user("prop_clerk", is_staff=True)
        self.actor = user
        self.campaign = Campaign.objects.create(
            code="PROP", name="性質テスト", prefecture="31", serial_prefix=77, sales_start=date(2026, 10, 1),
            sales_end=date(2027, 1, 31), usage_start=date(2026, 10, 1), usage_end=date(2027, 3, 31),
            settlement_deadline=date(2027, 4, 30))
        self.a = Denomination.objects.create(campaign=self.campaign, code=1, name="A", face_value=1000,
                                             tickets_per_book=13, sale_price_per_book=10000)
        self.b = Denomination.objects.create(campaign=self.campaign, code=2, name="B", face_value=500,
                                             tickets_per_book=12, sale_price_per_book=5000)
        order = services.print_order_create(actor=user, campaign=self.campaign, printer="P",
                                            ordered_on=date(2026, 9, 1), requested_delivery=date(2026, 10, 1),
                                            books={self.a: 40, self.b: 20})
        services.lot_create(actor=user, order=order, denomination=self.a, completed_on=date(2026, 10, 20),
                            first_book=1, last_book=40, spoiled_sheets=5)
        services.lot_create(actor=user, order=order, denomination=self.b, completed_on=date(2026, 10, 20),
                            first_book=41, last_book=60)
        self.outlets = [Outlet.objects.create(campaign=self.campaign, code=f"O{i}", name=f"販売所{i}",
                                              kind="supermarket", address="x", route="east") for i in range(2)]
        # The model: book number → (state, outlet index or None)
        self.model = {n: ("vault", None) for n in range(1, ALL + 1)}
        self.deliveries: list = []
        self.collections: dict[int, object] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers ------------------------------------------------------------------------------------------
    def _denom_of(self, n):
        return self.a if n in A_BOOKS else self.b

    def _legal(self, first, last, states, outlet=None) -> bool:
        if last > ALL:
            return False
        numbers = range(first, last + 1)
        if len({self._denom_of(n).pk for n in numbers}) > 1:
            return False
        return all(self.model[n][0] in states and (outlet is None or self.model[n][1] == outlet) for n in numbers)

    def _pick(self, data, states) -> tuple[int, int]:
        """A range that usually starts at a book in one of ``states`` (so legal moves are common), sometimes
        anywhere (so illegal ones are tried too)."""
        candidates = sorted(n for n, (state, _w) in self.model.items() if state in states)
        if candidates and data.draw(st.booleans(), label="targeted"):
            first = data.draw(st.sampled_from(candidates), label="first")
        else:
            first = data.draw(book_number, label="first")
        return first, first + data.draw(span, label="length")

    def _attempt(self, legal: bool, call, apply):
        before = snapshot()
        try:
            call()
        except VoucherError:
            assert not legal, "a legal operation was refused"
            assert snapshot() == before, "a refused operation changed the database"
            return
        assert legal, "an illegal operation was accepted"
        apply()

    # -- rules --------------------------------------------------------------------------------------------
    @rule(data=st.data(), outlet=st.integers(0, 1))
    def dispatch(self, data, outlet):
        first, last = self._pick(data, {"vault", "destroyed", "lost"})
        legal = self._legal(first, last, {"vault"})
        result = {}

        def call():
            result["delivery"] = services.delivery_dispatch(actor=self.actor, outlet=self.outlets[outlet],
                                                            delivery_date=DAY, ranges=[BookRange(first, last)])

        def apply():
            for n in range(first, last + 1):
                self.model[n] = ("transit", outlet)
            self.deliveries.append((result["delivery"], outlet, range(first, last + 1)))

        self._attempt(legal, call, apply)

    @rule(index=st.integers(0, 20))
    def confirm(self, index):
        if not self.deliveries:
            return
        delivery, outlet, numbers = self.deliveries[index % len(self.deliveries)]
        legal = all(self.model[n] == ("transit", outlet) for n in numbers)

        def apply():
            for n in numbers:
                self.model[n] = ("outlet", outlet)

        self._attempt(legal, lambda: services.delivery_confirm(actor=self.actor, delivery=delivery, received_by="店長",
                                                               confirmed_on=DAY), apply)

    @rule(data=st.data(), outlet=st.integers(0, 1))
    def sell(self, data, outlet):
        first, last = self._pick(data, {"outlet"})
        legal = self._legal(first, last, {"outlet"}, outlet)

        def apply():
            for n in range(first, last + 1):
                self.model[n] = ("sold", outlet)

        self._attempt(legal, lambda: services.sales_report_record(
            actor=self.actor, outlet=self.outlets[outlet], denomination=self._denom_of(min(first, ALL)),
            sales_date=DAY, ranges=[BookRange(first, last)]), apply)

    @rule(data=st.data(), outlet=st.integers(0, 1))
    def collect(self, data, outlet):
        if outlet not in self.collections:
            self.collections[outlet] = services.collection_open(actor=self.actor, outlet=self.outlets[outlet],
                                                                collected_on=DAY)
        first, last = self._pick(data, {"outlet"})
        legal = self._legal(first, last, {"outlet"}, outlet)

        def apply():
            for n in range(first, last + 1):
                self.model[n] = ("collected", outlet)

        self._attempt(legal, lambda: services.collection_return(actor=self.actor, collection=self.collections[outlet],
                                                                ranges=[BookRange(first, last)]), apply)

    @rule(outlet=st.integers(0, 1))
    def close_collection(self, outlet):
        collection = self.collections.pop(outlet, None)
        if collection is None:
            return

        def apply():
            for n, (state, where) in self.model.items():
                if state == "outlet" and where == outlet:
                    self.model[n] = ("lost", outlet)

        self._attempt(True, lambda: services.collection_close(actor=self.actor, collection=collection), apply)

    @rule(data=st.data())
    def destroy(self, data):
        first, last = self._pick(data, {"vault", "collected", "lost", "sold"})
        legal = self._legal(first, last, {"vault", "collected"})

        def apply():
            for n in range(first, last + 1):
                self.model[n] = ("destroyed", None)

        self._attempt(legal, lambda: services.destruction_record(
            actor=self.actor, campaign=self.campaign, destroyed_on=DAY, method="pulping", place="工場",
            witnesses="佐藤、田中", ranges=[BookRange(first, last)]), apply)

    # -- invariants ---------------------------------------------------------------------------------------
    @invariant()
    def ledger_balances_and_matches_the_model(self):
        today = ledger_current(self.campaign)
        assert today.total() == ALL and today.balanced
        replayed = ledger_as_of(self.campaign, timezone.localdate())
        assert [r.books for r in replayed.rows] == [r.books for r in today.rows]
        assert replayed.by_outlet == today.by_outlet
        outlet_ids = [o.pk for o in self.outlets]
        actual = {n: (state, outlet_ids.index(o) if o else None)
                  for n, state, o in Book.objects.filter(campaign=self.campaign).values_list("number", "state",
                                                                                             "outlet_id")}
        expected = {n: (state, where if state != "destroyed" else None) for n, (state, where) in self.model.items()}
        assert actual == expected


@pytest.mark.django_db
def test_random_operations_keep_the_ledger_balanced():
    run_state_machine_as_test(
        StockMachine,
        settings=settings(max_examples=30, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )

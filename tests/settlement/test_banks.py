"""The bank master: import from the Zengin data (rerunnable, keeps history) and the pickers' search."""

from __future__ import annotations

from datetime import date
from io import StringIO
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from settlement.banks import ImportCounts, import_banks, search_banks, search_branches
from settlement.models import Bank, BankAccount, BankBranch, Merchant


def branch(code, name, kana, hira=""):
    return SimpleNamespace(code=code, name=name, kana=kana, hira=hira)


def bank(code, name, kana, hira, *branches):
    return SimpleNamespace(code=code, name=name, kana=kana, hira=hira, branches={b.code: b for b in branches})


def zengin_data(*, without=(), renamed=None):
    """A small source shaped like zengin_code.Bank.all; ``without`` drops (bank, branch) codes."""
    data = {
        "0001": bank("0001", "みずほ", "ミズホ", "みずほ",
                     branch("001", "東京営業部", "トウキヨウ", "とうきよう"),
                     branch("004", "丸の内中央", "マルノウチチユウオウ", "まるのうちちゆうおう"),
                     branch("005", "丸之内", "マルノウチ", "まるのうち")),
        "0005": bank("0005", "三菱ＵＦＪ", "ミツビシユ－エフジエイ", "みつびしゆ－えふじえい",
                     branch("001", "本店", "ホンテン", "ほんてん")),
        "9900": bank("9900", "ゆうちょ", "ユウチヨ", "ゆうちよ",
                     branch("019", "〇一九", "ゼロイチキユウ", "ぜろいちきゆう")),
    }
    for bank_code, branch_code in without:
        data[bank_code].branches.pop(branch_code)
    if renamed:
        data["0005"].name = renamed
    return data


def counts(model):
    return model.objects.filter(is_active=True).count(), model.objects.filter(is_active=False).count()


@pytest.fixture
def merchant(campaign):
    return Merchant.objects.create(
        campaign=campaign, store_name="やまだ食堂", store_name_kana="ヤマダシヨクドウ",
        business_form=Merchant.BusinessForm.SOLE_PROPRIETOR, postal_code="680-0011", address="鳥取市東町1-220",
        phone="0857-00-0000", email="yamada@example.jp", genre=Merchant.Genre.JAPANESE, area=Merchant.Area.EAST,
    )


# --- import ----------------------------------------------------------------------------------------------

def test_it_imports_banks_and_branches(db):
    summary = import_banks(source=zengin_data())

    assert summary.banks == ImportCounts(created=3)
    assert summary.branches == ImportCounts(created=5)
    mizuho = Bank.objects.get(code="0001")
    assert (mizuho.name, mizuho.kana, mizuho.hira, mizuho.is_active) == ("みずほ", "ミズホ", "みずほ", True)
    assert list(mizuho.branches.values_list("code", "name")) == [("001", "東京営業部"), ("004", "丸の内中央"),
                                                                  ("005", "丸之内")]


def test_a_second_run_changes_nothing(db):
    import_banks(source=zengin_data())
    with CaptureQueriesContext(connection) as queries:
        summary = import_banks(source=zengin_data())

    assert summary.banks == ImportCounts()
    assert summary.branches == ImportCounts()
    assert not [q for q in queries if q["sql"].startswith(("INSERT INTO \"settlement_bank", "UPDATE"))]


def test_the_import_is_set_based(db):
    with CaptureQueriesContext(connection) as queries:
        import_banks(source=zengin_data())
    # Reads, one upsert per table, retirements, the audit event: not one statement per branch.
    assert len(queries) <= 10


def test_a_changed_name_is_updated(db):
    import_banks(source=zengin_data())
    summary = import_banks(source=zengin_data(renamed="三菱UFJ"))

    assert summary.banks == ImportCounts(updated=1)
    assert Bank.objects.get(code="0005").name == "三菱UFJ"


def test_a_merged_branch_is_retired_not_deleted_and_accounts_keep_it(db, merchant):
    import_banks(source=zengin_data())
    marunouchi = BankBranch.objects.get(bank__code="0001", code="005")
    account = BankAccount.objects.create(merchant=merchant, bank=marunouchi.bank, branch=marunouchi,
                                         account_type=BankAccount.AccountType.ORDINARY, account_number="1234567",
                                         holder_kana="ﾔﾏﾀﾞ ﾀﾛｳ")

    with time_machine.travel(date(2026, 11, 2)):
        summary = import_banks(source=zengin_data(without=[("0001", "005")]))

    assert summary.branches == ImportCounts(retired=1)
    marunouchi.refresh_from_db()
    assert (marunouchi.is_active, marunouchi.retired_on) == (False, date(2026, 11, 2))
    account.refresh_from_db()
    assert account.branch == marunouchi
    assert counts(BankBranch) == (4, 1)


def test_a_bank_gone_from_the_data_is_retired_with_its_branches(db):
    import_banks(source=zengin_data())
    data = zengin_data()
    del data["9900"]

    summary = import_banks(source=data)

    assert summary.banks == ImportCounts(retired=1)
    assert summary.branches == ImportCounts(retired=1)
    assert not Bank.objects.get(code="9900").is_active
    assert not BankBranch.objects.get(bank__code="9900").is_active


def test_a_branch_that_comes_back_is_reactivated(db):
    import_banks(source=zengin_data())
    import_banks(source=zengin_data(without=[("0001", "005")]))

    summary = import_banks(source=zengin_data())

    assert summary.branches == ImportCounts(reactivated=1)
    marunouchi = BankBranch.objects.get(bank__code="0001", code="005")
    assert (marunouchi.is_active, marunouchi.retired_on) == (True, None)
    assert BankBranch.objects.count() == 5


def test_the_command_imports_the_real_zengin_data(db):
    out = StringIO()
    call_command("import_banks", stdout=out)

    assert Bank.objects.filter(is_active=True).count() > 1000
    assert BankBranch.objects.count() > 20000
    assert Bank.objects.get(code="0001").name == "みずほ"
    assert BankBranch.objects.filter(bank__code="0001", code="001").exists()
    assert "banks: " in out.getvalue() and " created, 0 updated, 0 reactivated, 0 retired" in out.getvalue()

    out = StringIO()
    call_command("import_banks", stdout=out)
    assert out.getvalue().splitlines() == [
        "banks: 0 created, 0 updated, 0 reactivated, 0 retired",
        "branches: 0 created, 0 updated, 0 reactivated, 0 retired",
    ]


# --- search ----------------------------------------------------------------------------------------------

@pytest.fixture
def banks(db):
    import_banks(source=zengin_data())


def codes(rows):
    return [row.code for row in rows]


@pytest.mark.parametrize("q", ["みずほ", "ミズホ", "ﾐｽﾞﾎ", "みず", "0001", "０００１", "00"])
def test_bank_search_finds_mizuho_however_it_is_typed(banks, q):
    assert "0001" in codes(search_banks(q))


def test_bank_search_is_width_insensitive_on_names_too(banks):
    assert codes(search_banks("ufj")) == ["0005"]
    assert codes(search_banks("みつびしゆーえふじえい")) == ["0005"]  # the kana has a full-width dash


def test_bank_search_matches_kana_registered_with_large_kana(banks):
    assert codes(search_banks("ゆうちょ")) == ["9900"]


def test_bank_search_finds_nothing_for_nothing(banks):
    assert search_banks("") == []
    assert search_banks("   ") == []
    assert search_banks("存在しない銀行") == []


def test_bank_search_is_in_code_order_and_limited(banks):
    assert codes(search_banks("0")) == ["0001", "0005"]
    assert codes(search_banks("0", limit=1)) == ["0001"]


def test_retired_banks_and_branches_are_not_offered(banks):
    import_banks(source=zengin_data(without=[("0001", "005")]))
    assert codes(search_branches("0001", "マルノウチ")) == ["004"]
    Bank.objects.filter(code="0001").update(is_active=False)
    assert search_banks("みずほ") == []
    assert search_branches("0001", "001") == []


def test_branch_search_by_code_and_by_name(banks):
    mizuho = Bank.objects.get(code="0001")
    assert codes(search_branches(mizuho, "001")) == ["001"]
    assert codes(search_branches("0001", "00")) == ["001", "004", "005"]
    assert codes(search_branches("0001", "丸の内")) == ["004"]
    assert codes(search_branches("0001", "まるのうち")) == ["004", "005"]
    assert codes(search_branches("0001", "ﾄｳｷｮｳ")) == ["001"]  # small ｮ matches the registered ヨ
    assert codes(search_branches("0005", "丸の内")) == []


def test_the_bank_picker_answers_anonymous_visitors(client, banks):
    response = client.get(reverse("banks:bank_search"), {"q": "ﾐｽﾞﾎ"})

    assert response.status_code == 200
    assert 'role="listbox"' in response.text
    assert 'data-code="0001" data-name="みずほ"' in response.text
    assert "0001 みずほ（ミズホ）" in response.text


def test_the_bank_picker_shows_nothing_for_an_empty_query(client, banks):
    response = client.get(reverse("banks:bank_search"), {"q": ""})

    assert response.status_code == 200
    assert "data-code" not in response.text
    assert "picker__empty" not in response.text


def test_the_bank_picker_says_when_nothing_matches(client, banks):
    response = client.get(reverse("banks:bank_search"), {"q": "存在しない銀行"})

    assert "picker__empty" in response.text  # the "no bank matches" hint


def test_the_branch_picker_answers_anonymous_visitors(client, banks):
    response = client.get(reverse("banks:branch_search"), {"bank": "0001", "q": "とうきょう"})

    assert response.status_code == 200
    assert 'data-code="001" data-name="東京営業部"' in response.text
    assert 'data-code="004"' not in response.text


def test_the_branch_picker_takes_the_bank_code_as_typed(client, banks):
    response = client.get(reverse("banks:branch_search"), {"bank": "１", "q": "001"})

    assert 'data-code="001" data-name="東京営業部"' in response.text


def test_the_branch_picker_needs_a_bank(client, banks):
    response = client.get(reverse("banks:branch_search"), {"q": "001"})

    assert response.status_code == 200
    assert "data-code" not in response.text


def test_the_pickers_are_read_only(client, banks):
    assert client.post(reverse("banks:bank_search"), {"q": "みずほ"}).status_code == 405

"""The bank master (金融機関・支店): importing it from the zengin-code package and searching it.

Payments go to accounts by bank and branch code, so the tables must follow the Zengin data as banks merge
and close branches — but an account registered at a branch that has since closed must still show where it
was, so nothing is ever deleted: what leaves the data is marked inactive (and a branch gets its retirement
date), what comes back is reactivated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Concat, Lower, Replace
from django.utils import timezone

from campaign.audit import audit_log
from campaign.japanese import search_key
from settlement.models import Bank, BankBranch

# Rows per INSERT … ON CONFLICT statement: ~30,000 branches take six statements (and stay well under
# PostgreSQL's 65,535 bind parameters).
_BATCH_SIZE = 5000


# --- import ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportCounts:
    created: int = 0
    updated: int = 0  # name or kana changed
    reactivated: int = 0  # was gone from the data, is back
    retired: int = 0  # gone from the data: marked inactive, kept


@dataclass(frozen=True)
class ImportSummary:
    banks: ImportCounts
    branches: ImportCounts


def _zengin_source() -> Mapping[str, Any]:
    import zengin_code

    return zengin_code.Bank.all


def _classify(existing: tuple | None, wanted: tuple) -> str | None:
    """What writing ``wanted`` (name, kana, hira) over ``existing`` (id, name, kana, hira, is_active) does."""
    if existing is None:
        return "created"
    if not existing[4]:
        return "reactivated"
    if existing[1:4] != wanted:
        return "updated"
    return None


@transaction.atomic
def import_banks(*, source: Mapping[str, Any] | None = None) -> ImportSummary:
    """Bring Bank and BankBranch in line with the Zengin data; safe to rerun (a second run writes nothing).

    ``source`` maps bank codes to objects shaped like ``zengin_code.Bank`` (code, name, kana, hira and
    ``branches``: code → object with code, name, kana, hira); the installed zengin-code data by default.
    Set-based: two reads, one upsert per 5,000 changed rows, one update for the retired — never a query per
    branch. Only new, changed and returning rows are written, so ``updated_at`` tells when a row last changed.
    """
    source = _zengin_source() if source is None else source
    today = timezone.localdate()
    now = timezone.now()

    # Banks.
    wanted_banks = {bank.code: (bank.name, bank.kana, bank.hira or "") for bank in source.values()}
    existing_banks = {
        row[0]: row[1:] for row in Bank.objects.values_list("code", "id", "name", "kana", "hira", "is_active")
    }
    bank_counts: dict[str, int] = dict.fromkeys(("created", "updated", "reactivated"), 0)
    bank_writes = []
    for code, (name, kana, hira) in wanted_banks.items():
        change = _classify(existing_banks.get(code), (name, kana, hira))
        if change:
            bank_counts[change] += 1
            bank_writes.append(Bank(code=code, name=name, kana=kana, hira=hira, is_active=True))
    Bank.objects.bulk_create(bank_writes, batch_size=_BATCH_SIZE, update_conflicts=True, unique_fields=["code"],
                             update_fields=["name", "kana", "hira", "is_active", "updated_at"])
    gone_banks = [row[0] for code, row in existing_banks.items() if row[4] and code not in wanted_banks]
    Bank.objects.filter(pk__in=gone_banks).update(is_active=False, updated_at=now)

    # Branches: keyed by (bank code, branch code); a branch of a bank that left the data leaves with it.
    bank_ids = dict(Bank.objects.values_list("code", "id"))
    wanted_branches = {
        (bank.code, branch.code): (branch.name, branch.kana, branch.hira or "")
        for bank in source.values() for branch in bank.branches.values()
    }
    existing_branches = {
        (row[0], row[1]): row[2:]
        for row in BankBranch.objects.values_list("bank__code", "code", "id", "name", "kana", "hira", "is_active")
    }
    branch_counts: dict[str, int] = dict.fromkeys(("created", "updated", "reactivated"), 0)
    branch_writes = []
    for (bank_code, code), (name, kana, hira) in wanted_branches.items():
        change = _classify(existing_branches.get((bank_code, code)), (name, kana, hira))
        if change:
            branch_counts[change] += 1
            branch_writes.append(BankBranch(bank_id=bank_ids[bank_code], code=code, name=name, kana=kana, hira=hira,
                                            is_active=True, retired_on=None))
    BankBranch.objects.bulk_create(
        branch_writes, batch_size=_BATCH_SIZE, update_conflicts=True, unique_fields=["bank", "code"],
        update_fields=["name", "kana", "hira", "is_active", "retired_on", "updated_at"],
    )
    gone_branches = [row[0] for key, row in existing_branches.items() if row[4] and key not in wanted_branches]
    BankBranch.objects.filter(pk__in=gone_branches).update(is_active=False, retired_on=today, updated_at=now)

    summary = ImportSummary(
        banks=ImportCounts(**bank_counts, retired=len(gone_banks)),
        branches=ImportCounts(**branch_counts, retired=len(gone_branches)),
    )
    audit_log(actor=None, action="banks.import", target_type="settlement.bank", target_label="Zengin bank data",
              data=asdict(summary))
    return summary


# --- search ----------------------------------------------------------------------------------------------

# search_key() folds width, case and hiragana/katakana. The Zengin kana registers small kana enlarged
# (トウキヨウ for 東京) and writes the long vowel as a dash, so both sides also enlarge small kana and turn every
# dash into ー: "とうきょう" must find トウキヨウ. The same folding runs in SQL over name, kana and hira, so
# nothing extra is stored.
_SMALL_KANA = {"ァ": "ア", "ィ": "イ", "ゥ": "ウ", "ェ": "エ", "ォ": "オ", "ッ": "ツ", "ャ": "ヤ", "ュ": "ユ",
               "ョ": "ヨ", "ヮ": "ワ", "ヵ": "カ", "ヶ": "ケ"}
_HIRAGANA = {chr(code): chr(code + 0x60) for code in range(0x3041, 0x3097)}  # ぁ..ゖ → ァ..ヶ
_DASHES = dict.fromkeys("-‐−–—―─", "ー")
_FOLD = {char: _SMALL_KANA.get(folded, folded) for char, folded in (_HIRAGANA | _DASHES).items()} | _SMALL_KANA
_FOLD_TABLE = str.maketrans(_FOLD)


def _query_key(q: str) -> str:
    return search_key(q).translate(_FOLD_TABLE)


class _NFKC(Func):
    template = "normalize(%(expressions)s, NFKC)"


def _search_text():
    """SQL for _query_key() of "name<TAB>kana<TAB>hira" (the tab keeps a match from spanning two fields)."""
    text = Concat(F("name"), Value("\t"), F("kana"), Value("\t"), F("hira"))
    folded = Func(Lower(_NFKC(text)), Value("".join(_FOLD)), Value("".join(_FOLD.values())), function="translate")
    return Replace(folded, Value(" "), Value(""))


def _matching(queryset, q: str, limit: int) -> list:
    key = _query_key(q)
    if not key:
        return []
    condition = Q(search_text__contains=key)
    if key.isdigit():
        condition |= Q(code__startswith=key)
    return list(queryset.alias(search_text=_search_text()).filter(condition).order_by("code")[:limit])


def search_banks(q: str, limit: int = 20) -> list[Bank]:
    """Active banks whose code starts with ``q`` or whose name, kana or hiragana contains it (any width or
    script: みずほ, ミズホ and ﾐｽﾞﾎ find the same bank). An empty query finds nothing."""
    return _matching(Bank.objects.filter(is_active=True), q, limit)


def search_branches(bank: Bank | str, q: str, limit: int = 30) -> list[BankBranch]:
    """Active branches of ``bank`` (a Bank or its code) matching ``q`` like ``search_banks``."""
    branches = BankBranch.objects.filter(is_active=True, bank__is_active=True)
    branches = branches.filter(bank=bank) if isinstance(bank, Bank) else branches.filter(bank__code=bank)
    return _matching(branches, q, limit)

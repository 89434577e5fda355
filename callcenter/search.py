"""FAQ search for operators on the phone and residents on the public page.

A caller says なくした where the FAQ says 紛失, an operator types ﾊﾗｲﾓﾄﾞｼ on an old keyboard setting, or
はらいもどし before the IME converts. The search therefore compares several views of the text at once and
adds up the evidence with a BM25-style weight (rare words count more; long answers do not win by length):

* words: SudachiPy morphemes (split mode C and, for compounds, A) by their *normalized form*
  (払戻し → 払い戻し), folded with ``campaign.japanese.search_key`` (width, kana, case);
* readings: the katakana reading of each word (verbs and adjectives by their dictionary form), so kanji,
  hiragana and katakana spellings of one word meet (払戻し / はらいもどし / ﾊﾗｲﾓﾄﾞｼ → ハライモドシ);
* character bigrams of the folded surface and of the reading string, which catch typos, words the
  dictionary splits oddly, and kana typed for a kanji compound (かめいてん → カメイテン);
* synonyms from the ``SynonymGroup`` table that supervisors edit: a query containing one phrase of a group
  also searches for the others (なくした ↔ 紛失, いつ振り込まれる ↔ 振込日).

Queries of one or two characters are too short for words and bigrams to mean much, so they fall back to a
substring match over the question and keywords, then the answer.

The index lives in memory per process and is rebuilt when an item or a synonym changes (one cheap query per
search checks). Items carry their pre-computed terms (``FaqItem.search_terms``), so a rebuild does not run
the analyser again. The Sudachi dictionary is loaded once per process.
"""

from __future__ import annotations

import heapq
import html
import math
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from campaign.japanese import normalize, search_key

# Field weights: a word in the question says more about the item than the same word deep in the answer.
FIELD_WEIGHTS = {"question": 3.0, "keywords": 2.0, "category": 1.0, "answer": 1.0}
# Weights of the kinds of evidence in the query.
KIND_WEIGHTS = {"w": 1.0, "r": 0.7, "b": 0.3, "k": 0.25}
SYNONYM_WEIGHT = 0.85
K1, B = 1.2, 0.5
MAX_RESULTS = 10
# Results scoring below this share of the best one are noise (a shared particle-like bigram).
RELATIVE_CUTOFF = 0.18
# Each term keeps only its this-many best-weighted items (an impact-ordered index with static pruning): a word
# found in thousands of items cannot decide the ranking, and walking its whole list would cost the latency.
POSTING_LIMIT = 250

# Parts of speech that carry meaning; particles, auxiliaries and symbols do not.
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "代名詞", "接尾辞", "連体詞", "感動詞"}
# Normalized forms too common in questions to tell items apart.
_STOP_WORDS = {search_key(w) for w in (
    "する", "為る", "ある", "有る", "在る", "いる", "居る", "なる", "成る", "できる", "出来る", "れる", "られる",
    "こと", "事", "もの", "物", "よう", "様", "ため", "為", "さん", "ところ", "所", "方", "の", "ん", "とき",
    "これ", "それ", "あれ", "どれ", "この", "その", "どう", "どの", "何", "なに", "なん", "です", "ます",
    "思う", "教える", "知る", "分かる", "判る", "くださる", "下さる", "いただく", "頂く", "もらう", "貰う",
    "いう", "言う", "良い", "いい", "よい", "ちょっと", "あの", "えっと", "すみません", "ください", "しまう",
    "仕舞う", "おる", "居る", "みる", "見る", "くる", "来る", "いく", "行く", "ほしい", "欲しい", "場合",
)}
_HIRAGANA_ONLY = re.compile(r"^[\u3041-\u309f\u30fc]+$")
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff]")

_local = threading.local()


@lru_cache(maxsize=1)
def _dictionary():
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _tokenizer():
    # Tokenizer objects are not thread-safe; the dictionary behind them is shared and loaded once.
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        tok = _local.tokenizer = _dictionary().tokenizer()
    return tok


def _modes():
    from sudachipy import SplitMode

    return SplitMode.C, SplitMode.A


@dataclass
class Morpheme:
    surface: str
    begin: int
    end: int
    word: str  # folded normalized form
    reading: str  # folded reading (dictionary form for inflecting words)
    content: bool
    glue: bool = False
    surface_reading: str = ""  # auxiliaries and endings that phrase matching ignores (た, て, ます, しまう)


@lru_cache(maxsize=20000)
def _lemma_reading(lemma: str) -> str:
    mode_c, _ = _modes()
    return "".join(m.reading_form() for m in _tokenizer().tokenize(lemma, mode_c))


def _morphemes(text: str, mode) -> list[Morpheme]:
    out = []
    if not text.strip():
        return out
    for m in _tokenizer().tokenize(text, mode):
        pos = m.part_of_speech()[0]
        if pos in ("空白", "補助記号"):
            continue
        norm = m.normalized_form()
        word = search_key(norm)
        if pos in ("動詞", "形容詞"):
            reading = search_key(_lemma_reading(m.dictionary_form()))
        else:
            reading = search_key(m.reading_form())
        content = pos in _CONTENT_POS and word not in _STOP_WORDS and search_key(m.dictionary_form()) not in _STOP_WORDS
        # A lone hiragana character is almost always a particle Sudachi could not place.
        if len(m.surface()) == 1 and _HIRAGANA_ONLY.match(m.surface()):
            content = False
        pos_detail = m.part_of_speech()
        glue = (pos == "助動詞" or pos_detail[1] in ("接続助詞", "終助詞")
                or (pos in ("動詞", "形容詞") and pos_detail[1] == "非自立可能" and out))
        out.append(Morpheme(m.surface(), m.begin(), m.end(), word, reading, content, glue,
                            search_key(m.reading_form())))
    return out


def _bigrams(text: str) -> list[str]:
    if len(text) < 2:
        return [text] if text else []
    return [text[i:i + 2] for i in range(len(text) - 1)]


@dataclass
class Analysis:
    """The terms of one piece of text, by kind: w (words), r (readings), b (surface bigrams), k (reading bigrams)."""

    key: str
    morphemes: list[Morpheme]
    terms: dict[str, list[str]] = field(default_factory=dict)
    lemmas: list[str] = field(default_factory=list)  # folded normalized forms of all morphemes, in order
    reading_string: str = ""


def analyse(text: str, *, bigrams: bool = True) -> Analysis:
    text = normalize(text or "")
    mode_c, mode_a = _modes()
    morphs_c = _morphemes(text, mode_c)
    words, readings = [], []
    for m in morphs_c:
        if m.content:
            words.append(m.word)
            if len(m.reading) >= 2:
                readings.append(m.reading)
            if m.surface_reading != m.reading and len(m.surface_reading) >= 2:
                readings.append(m.surface_reading)
    # Compounds: the parts too (有効期限 → 有効 / 期限), so 使用期限 still meets 有効期限 on 期限.
    known = {(m.begin, m.end) for m in morphs_c}
    for m in _morphemes(text, mode_a):
        if m.content and (m.begin, m.end) not in known:
            words.append(m.word)
            if len(m.reading) >= 2:
                readings.append(m.reading)
    analysis = Analysis(key=search_key(text), morphemes=morphs_c)
    analysis.lemmas = [m.word for m in morphs_c if not m.glue]
    analysis.reading_string = "".join(m.reading for m in morphs_c)
    analysis.terms = {"w": words, "r": readings}
    if bigrams:
        content_surface = "".join(search_key(m.surface) for m in morphs_c if m.content) or analysis.key
        analysis.terms["b"] = _bigrams(content_surface)
        content_reading = "".join(m.reading for m in morphs_c if m.content) or analysis.reading_string
        analysis.terms["k"] = _bigrams(content_reading)
    return analysis


def document_terms(*, question: str, answer: str, keywords: str = "", category: str = "") -> dict:
    """The weighted term frequencies of an FAQ item, stored on the item (``FaqItem.search_terms``)."""
    tf: dict[str, float] = defaultdict(float)
    length = 0.0
    for field_name, text in (("question", question), ("keywords", keywords), ("category", category),
                             ("answer", answer)):
        weight = FIELD_WEIGHTS[field_name]
        # Bigrams only from the short fields: from answers they would bloat the index and add noise.
        analysis = analyse(text, bigrams=field_name in ("question", "keywords"))
        for kind, terms in analysis.terms.items():
            for term in terms:
                tf[f"{kind}:{term}"] += weight
        length += weight * len(analysis.terms["w"])
    return {"tf": dict(tf), "len": length,
            "key_q": search_key(normalize(question)) + " " + search_key(normalize(keywords)),
            "key_a": search_key(normalize(answer))}


# --- synonyms --------------------------------------------------------------------------------------------

@dataclass
class Phrase:
    text: str
    key: str
    lemmas: list[str]
    reading: str
    terms: dict[str, list[str]]


def _phrase(text: str) -> Phrase:
    a = analyse(text, bigrams=False)
    return Phrase(text=text, key=a.key, lemmas=a.lemmas, reading=a.reading_string, terms=a.terms)


def _contains_run(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    if n == 0:
        return False
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def _phrase_in_query(phrase: Phrase, query: Analysis) -> bool:
    if phrase.key and phrase.key in query.key:
        return True
    if _contains_run(query.lemmas, phrase.lemmas):
        return True
    # Kana typed for a word the dictionary would have split differently: compare readings.
    return len(phrase.reading) >= 3 and phrase.reading in query.reading_string


# --- the index -----------------------------------------------------------------------------------------

@dataclass
class Index:
    version: tuple
    ids: list[int]
    external_ids: list[str | None]
    public: list[bool]
    published: list[bool]
    key_q: list[str]
    key_a: list[str]
    postings: dict[str, list[tuple[int, float]]]
    idf: dict[str, float]
    synonyms: list[list[Phrase]]

    @property
    def size(self) -> int:
        return len(self.ids)


def build_index(rows, synonym_groups: list[list[str]], version: tuple = ()) -> Index:
    """Build the in-memory index from ``(pk, external_id, is_public, is_published, search_terms)`` rows."""
    ids, external_ids, public, published, key_q, key_a, lengths, tfs = [], [], [], [], [], [], [], []
    for pk, external_id, is_public, is_published, terms in rows:
        ids.append(pk)
        external_ids.append(external_id)
        public.append(is_public)
        published.append(is_published)
        key_q.append(terms.get("key_q", ""))
        key_a.append(terms.get("key_a", ""))
        lengths.append(terms.get("len", 0.0) or 1.0)
        tfs.append(terms.get("tf", {}))
    n = len(ids)
    avgdl = (sum(lengths) / n) if n else 1.0
    df: dict[str, int] = defaultdict(int)
    for tf in tfs:
        for term in tf:
            df[term] += 1
    idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for doc, tf in enumerate(tfs):
        norm = K1 * (1 - B + B * lengths[doc] / avgdl)
        for term, freq in tf.items():
            postings[term].append((doc, idf[term] * freq * (K1 + 1) / (freq + norm)))
    for posting in postings.values():
        if len(posting) > POSTING_LIMIT:
            posting.sort(key=lambda pair: -pair[1])
            del posting[POSTING_LIMIT:]
    groups = [[_phrase(t) for t in group] for group in synonym_groups if len(group) >= 2]
    return Index(version=version, ids=ids, external_ids=external_ids, public=public, published=published,
                 key_q=key_q, key_a=key_a, postings=dict(postings), idf=idf, synonyms=groups)


@dataclass
class Hit:
    pk: int
    external_id: str | None
    score: float


@dataclass
class QueryPlan:
    analysis: Analysis
    weights: dict[str, float]  # "kind:term" → query weight
    synonyms_used: list[str]
    short: bool

    @property
    def highlight_terms(self) -> set[str]:
        return {t for t in self.weights if t[0] in "wr"}


def plan_query(index: Index, query: str) -> QueryPlan:
    analysis = analyse(query)
    weights: dict[str, float] = defaultdict(float)
    for kind, terms in analysis.terms.items():
        for term in terms:
            weights[f"{kind}:{term}"] = max(weights[f"{kind}:{term}"], KIND_WEIGHTS[kind])
    used = []
    for group in index.synonyms:
        if not any(_phrase_in_query(p, analysis) for p in group):
            continue
        for phrase in group:
            used.append(phrase.text)
            for kind in ("w", "r"):
                for term in phrase.terms[kind]:
                    key = f"{kind}:{term}"
                    weights[key] = max(weights[key], KIND_WEIGHTS[kind] * SYNONYM_WEIGHT)
    return QueryPlan(analysis=analysis, weights=dict(weights), synonyms_used=used, short=len(analysis.key) <= 2)


def run(index: Index, query: str, *, public_only: bool = False, include_drafts: bool = False,
        limit: int = MAX_RESULTS) -> tuple[list[Hit], QueryPlan]:
    plan = plan_query(index, query)
    scores: dict[int, float] = {}
    get = scores.get
    n = index.size
    if n == 0 or not plan.analysis.key:
        return [], plan
    # Bigrams that occur in most items cost time and tell nothing; skip them unless the query is all bigrams.
    word_terms = [t for t in plan.weights if t[0] in "wr" and t in index.postings]
    for term, qw in plan.weights.items():
        posting = index.postings.get(term)
        if not posting:
            continue
        if term[0] in "bk" and word_terms and index.idf[term] < 0.5:
            continue
        for doc, w in posting:
            scores[doc] = get(doc, 0.0) + qw * w
    if plan.short:
        # One or two characters: a substring match, question and keywords first.
        key = plan.analysis.key
        top = max(scores.values(), default=1.0) or 1.0
        for doc in range(n):
            if key in index.key_q[doc]:
                scores[doc] = get(doc, 0.0) + top * 1.5
            elif key in index.key_a[doc]:
                scores[doc] = get(doc, 0.0) + top * 0.5
    published, public = index.published, index.public

    def eligible(doc: int) -> bool:
        return (include_drafts or published[doc]) and (not public_only or public[doc])

    ranked = heapq.nlargest(limit * 3, scores.items(), key=lambda pair: pair[1])
    hits = [(score, doc) for doc, score in ranked if eligible(doc)]
    if len(hits) < limit and len(ranked) == limit * 3:  # many ineligible near the top: take the slow path
        hits = [(score, doc) for doc, score in scores.items() if eligible(doc)]
    if not hits:
        return [], plan
    hits = heapq.nsmallest(limit, hits, key=lambda pair: (-pair[0], index.ids[pair[1]]))
    best = hits[0][0]
    out = [Hit(index.ids[doc], index.external_ids[doc], score) for score, doc in hits[:limit]
           if score >= best * RELATIVE_CUTOFF]
    return out, plan


# --- the per-process cache ---------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cached: Index | None = None


def _current_version() -> tuple:
    from callcenter.models import FaqIndexState

    row = FaqIndexState.objects.filter(pk=1).values_list("generation", "stamp").first()
    return tuple(row or (0, ""))


def invalidate() -> None:
    """Tell every process that the FAQ or the synonyms changed (call inside the writing transaction)."""
    from callcenter.models import FaqIndexState

    FaqIndexState.bump()


def get_index() -> Index:
    """The index of the FAQ as it is in the database now (rebuilt only when something changed)."""
    global _cached
    from callcenter.models import FaqItem, SynonymGroup

    version = _current_version()
    with _cache_lock:
        if _cached is not None and _cached.version == version:
            return _cached
        rows = FaqItem.objects.order_by("pk").values_list("pk", "external_id", "visibility", "status", "search_terms")
        rows = [(pk, ext, vis == FaqItem.Visibility.PUBLIC, st == FaqItem.Status.PUBLISHED, terms)
                for pk, ext, vis, st, terms in rows.iterator(chunk_size=2000)]
        groups = [g.term_list() for g in SynonymGroup.objects.all()]
        _cached = build_index(rows, groups, version)
        return _cached


def search(query: str, *, public_only: bool = False, include_drafts: bool = False,
           limit: int = MAX_RESULTS) -> tuple[list[Hit], QueryPlan]:
    """Search the FAQ; returns the hits, best first, and the plan (terms and synonyms used, for highlighting)."""
    return run(get_index(), query, public_only=public_only, include_drafts=include_drafts, limit=limit)


# --- highlighting ------------------------------------------------------------------------------------------

def highlight(text: str, plan: QueryPlan, *, snippet: int | None = None) -> SafeString:
    """``text`` escaped, with the words that matched the query in ``<mark>``; cut around the first match
    to about ``snippet`` characters when given."""
    text = text or ""
    spans: list[tuple[int, int]] = []
    terms = plan.highlight_terms
    if terms and not plan.short:
        for m in _morphemes(text, _modes()[0]):
            if f"w:{m.word}" in terms or (len(m.reading) >= 2 and f"r:{m.reading}" in terms) or (
                    len(m.surface_reading) >= 2 and f"r:{m.surface_reading}" in terms):
                spans.append((m.begin, m.end))
    key = plan.analysis.key
    if key and (plan.short or not spans):
        # Substring match on folded characters, mapped back to positions in the original text.
        folded = [search_key(normalize(ch)) or " " for ch in text]
        joined, starts = "", []
        for i, f in enumerate(folded):
            starts.extend([i] * len(f))
            joined += f
        for match in re.finditer(re.escape(key), joined):
            spans.append((starts[match.start()], starts[match.end() - 1] + 1))
    spans = _merge(spans)
    start, end = 0, len(text)
    if snippet and len(text) > snippet:
        first = spans[0][0] if spans else 0
        start = max(0, first - snippet // 4)
        end = min(len(text), start + snippet)
    parts, pos = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        parts.append(escape(text[pos:s]))
        parts.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    parts.append(escape(text[pos:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + "".join(str(p) for p in parts) + suffix)  # noqa: S308 - every piece is escaped


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))

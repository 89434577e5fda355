"""Japanese for words that change with their use (contexts) and for the wording pass of issue 17
(docs/glossary.md; read by scripts/po_fill.py)."""

# One English word, several Japanese words: the msgctxt says which use it is.
CTX = {
    ("verification class", "Valid"): "有効",
    ("investigation status", "Open"): "調査中",
    ("button", "Open"): "開く",
    ("collection", "Open"): "回収開始",
    ("collection status", "Open"): "回収中",
    ("book state", "From"): "移動前の状態",
    ("book state", "To"): "移動後の状態",
    ("amount", "Outstanding"): "未払額",
}

# Amounts arrive formatted by campaign.formats.yen ("1,234円"), dates by campaign.formats.day.
JA = {
    "%(n)s merchants, %(e)s envelopes, %(amount)s": "%(n)s 店、封筒 %(e)s 通、%(amount)s",
    "%(n)s merchants, %(amount)s (carried to the next batch)": "%(n)s 店、%(amount)s（次回以降に繰越）",
    "The transfer of %(amount)s on %(day)s could not be made.": "%(day)s の %(amount)s のお振込ができませんでした。",
    "Paid so far: %(total)s": "これまでのお支払：%(total)s",
}

JA.update({
    "Signed in as %(name)s": "%(name)s さんがログイン中",
})

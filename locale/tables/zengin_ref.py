"""Japanese for the Zengin transfer-file writer's messages (issue 16, point 4). Format read by scripts/po_fill.py."""

JA = {
    "Corporate forms are not abbreviated in the transfer file. "
    "If the bank has the name registered as “%(abbreviated)s”, enter it that way.":
        "振込ファイルでは法人略語への置き換えを行いません。"
        "銀行の登録名義が「%(abbreviated)s」であれば、そのとおりに入力してください。",
}

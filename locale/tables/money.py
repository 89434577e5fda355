"""Japanese for the money rules' refusals (issue 16): closed envelopes, a ticket paid once, decisions on closed
envelopes. Format read by scripts/po_fill.py; words as in intake.py and payouts.py."""

JA = {
    "Envelope %(number)s is in the batch of the cutoff of %(day)s; its tickets cannot change.":
        "封筒 %(number)s は締日 %(day)s の精算バッチに入っているため、券の内容は変更できません。",
    "Envelope %(number)s is already reconciled and waits for its cutoff; its tickets cannot change.":
        "封筒 %(number)s は照合済みで締日を待っているため、券の内容は変更できません。",
    "The code %(code)s names no issued ticket of this campaign; it cannot be paid.":
        "券番号 %(code)s はこのキャンペーンで発行された券を示していないため、支払えません。",
    "Ticket %(code)s was already paid through envelope %(number)s; a ticket is paid once. Reject this claim.":
        "券 %(code)s は封筒 %(number)s で支払済みです。1枚の券の支払は1回だけです。この請求は不承認にしてください。",
    "Envelope %(number)s is no longer under review (status: %(status)s); its decisions are closed.":
        "封筒 %(number)s は確認待ちではありません（状態：%(status)s）。判定はもう変更できません。",
}
JA.update({
    "%(counted)s tickets were counted, but the slip declares %(declared)s. Count again; if the count is right, confirm the difference: it is kept and the envelope will go to review.":
        "数えた券は %(counted)s 枚ですが、換金伝票の申告は %(declared)s 枚です。もう一度数えてください。"
        "数が正しければ差異を確認してください。差異は記録され、照合時に確認待ちになります。",
    "The count differs from the slip and I have counted again: keep the difference":
        "数え直しても換金伝票と枚数が合わない（差異を記録する）",
    "You read this envelope's tickets or decided its claims: a second person must release it.":
        "この封筒の券を読み取ったか、請求を判定したのはあなたです。確認済みにするのは別の担当者です。",
})
JA.update({
    "Envelopes %(numbers)s were read as payable under this relief cutoff and wait for it; it must keep covering them.":
        "封筒 %(numbers)s はこの救済の締日のもとで支払対象として読み取られ、この締日を待っています。"
        "これらの封筒を対象から外すことはできません。",
})

"""Japanese for the money screens and papers: a batch the scheduler closed and its preparer's signature, lines with
nothing to pay, and the limit and relief of an extraordinary cutoff. Format read by scripts/po_fill.py.

Words as in payouts.py: 締日 cutoff, 臨時 extraordinary, 精算バッチ batch, 作成者 preparer, 承認者 approver,
支払対象なし nothing to pay, 救済 relief, 換金申請期限 settlement deadline, 事務局責任者 secretariat manager."""

JA = {
    # Models (settlement/models): statuses, reasons and the cutoff's limit and relief.
    "Nothing to pay": "支払対象なし",
    "No payable tickets in its envelopes": "封筒内に支払対象の券がありません",
    "limited to merchants": "対象とする加盟店",
    "limited to envelopes": "対象とする封筒",
    "accepts envelopes received after the settlement deadline": "換金申請期限後に受け付けた封筒も支払う",
    "reason for the limit or the relief": "限定・救済の理由",
    "accepted by a decision": "判定により承認",
    # Services the payout screens show (settlement/services/payouts.py, cutoffs.py).
    "The scheduler closed this batch: a person must first check it and sign it as its preparer; then a second person approves it.":
        "この精算バッチは自動で締められました。まず担当者が内容を確認して作成者として署名し、その後に別の担当者が承認します。",
    "This batch already has its preparer.": "この精算バッチには既に作成者が署名しています。",
    "A failed transfer was carried by another close meanwhile; nothing was saved. Close the cutoff again.":
        "振込不能分が同時に行われた別の締め処理に繰り越されたため、何も保存していません。もう一度締めてください。",
    "Some envelopes changed while the cutoff was being closed; nothing was saved. Close it again.":
        "締め処理の間に一部の封筒が変更されたため、何も保存していません。もう一度締めてください。",
    "Only a secretariat manager can limit an extraordinary cutoff or make it a relief cutoff.":
        "臨時の締日の対象を限定したり、救済の締日にしたりできるのは事務局責任者だけです。",
    "This cutoff has been closed; what it pays can no longer change.":
        "この締日は締め済みのため、支払対象を変更できません。",
    "Only an extraordinary cutoff can be limited to chosen merchants or envelopes, or take envelopes received after the settlement deadline.":
        "加盟店・封筒への限定や、換金申請期限後に受け付けた封筒の支払は、臨時の締日でだけ設定できます。",
    "Give the reason for the limit or the relief; it is kept with the cutoff.":
        "限定・救済の理由を入力してください。理由は締日とともに記録されます。",
    "Merchant %(number)s belongs to another campaign.": "加盟店 %(number)s は別のキャンペーンのものです。",
    "This cutoff is limited to chosen merchants or envelopes, or is a relief cutoff; remove that first to make it regular.":
        "この締日は加盟店・封筒に限定されているか、救済の締日です。定例にするには、先にその設定を外してください。",
    # Batch detail (templates/settlement/payouts/batch_detail.html) and its view.
    "Not signed yet": "未署名",
    "%(n)s merchants, %(e)s envelopes: ¥0, no transfer (their envelopes are settled with this batch)":
        "%(n)s 店、封筒 %(e)s 通：0円・振込なし（封筒はこの精算バッチで精算済み）",
    "This batch has no preparer yet": "この精算バッチにはまだ作成者の署名がありません",
    "The scheduler closed this batch at the end of the cutoff day; nobody has checked it yet. A person must check its lines and amounts and sign it as its preparer. Only then can a second person approve it.":
        "この精算バッチは締日の終わりに自動で締められ、まだ誰も確認していません。担当者が明細と金額を確認し、"
        "作成者として署名してください。その後に、別の担当者が承認できます。",
    "Sign this batch as its preparer? You confirm that you have checked its lines and amounts; a second person must then approve it, not you.":
        "この精算バッチに作成者として署名しますか？明細と金額を確認したことの署名です。承認は、あなた以外の担当者が行います。",
    "Sign as preparer": "作成者として確認・署名",
    "A settlement clerk or a secretariat manager signs it.": "精算担当または事務局責任者が署名します。",
    "It cannot be approved yet: nobody has signed it as its preparer.": "作成者の署名がまだないため、承認できません。",
    "No transfer": "振込なし",
    "You signed the batch as its preparer. A second person must now approve it.":
        "作成者として精算バッチに署名しました。別の担当者が承認してください。",
    # Cutoff schedule and edit page: limit and relief.
    "Limit and relief": "対象の限定・救済",
    "Not limited: every merchant's envelopes": "限定なし（すべての加盟店の封筒）",
    "Pays only these merchants (%(n)s):": "支払対象の加盟店（%(n)s 店）：",
    "Pays only these envelopes (%(n)s):": "支払対象の封筒（%(n)s 通）：",
    "Relief": "救済",
    "Decided by %(user)s on %(when)s": "決定：%(user)s（%(when)s）",
    "An extraordinary cutoff can pay only chosen merchants or envelopes (to settle a fraud case, for example) and, as a relief cutoff, pay envelopes received after the settlement deadline. A secretariat manager decides this before the cutoff is closed, and gives the reason.":
        "臨時の締日は、支払対象を選んだ加盟店や封筒に限定したり（不正案件の精算など）、救済の締日として換金申請期限後に"
        "受け付けた封筒を支払ったりできます。締める前に、事務局責任者が理由を添えて決めます。",
    "Save the limit and relief of this cutoff? It changes what the cutoff pays.":
        "この締日の対象の限定・救済を保存しますか？この締日で支払う対象が変わります。",
    "Save the limit and relief": "対象の限定・救済を保存",
    "Only a secretariat manager can change this.": "変更できるのは事務局責任者だけです。",
    "Merchants (merchant numbers)": "対象とする加盟店（加盟店番号）",
    "One per line or separated by commas. Only the envelopes of these merchants are paid.":
        "1行に1つ、またはカンマ区切りで入力してください。これらの加盟店の封筒だけを支払います。",
    "Envelopes (envelope numbers)": "対象とする封筒（封筒番号）",
    "One per line or separated by commas. These envelopes are paid as well. Leave both lists empty to pay every merchant's envelopes.":
        "1行に1つ、またはカンマ区切りで入力してください。これらの封筒も支払います。"
        "両方とも空にすると、すべての加盟店の封筒を支払います。",
    "Accept envelopes received after the settlement deadline (relief)": "換金申請期限後に受け付けた封筒も支払う（救済）",
    "Reason for the limit or the relief": "限定・救済の理由",
    "There is no merchant %(number)s in this campaign.": "加盟店番号 %(number)s の加盟店はこのキャンペーンにありません。",
    "There is no envelope %(number)s in this campaign.": "封筒番号 %(number)s の封筒はこのキャンペーンにありません。",
    "The limit and relief of the cutoff were saved.": "締日の対象の限定・救済を保存しました。",
    # Payout list (Excel).
    "Nothing to pay (no transfer): %(n)d merchants": "支払対象なし（振込なし）：%(n)d 店",
}

PLURAL: dict[str, str] = {}

"""Japanese for the operator-console fixes (issue 17, call-center part): the number to give the caller, the
callback list with caller and request, the call timer and phone-number normalisation. Format read by
scripts/po_fill.py; strings the catalogue already translates are not repeated here."""

JA = {
    # Success message after logging a call
    "Call #%(number)s logged. Escalation number to give the caller: %(reference)s.":
        "対応履歴 #%(number)s を登録しました。お客様にお伝えするエスカレーション番号：%(reference)s",
    "Call #%(number)s logged. Callback number to give the caller: %(reference)s.":
        "対応履歴 #%(number)s を登録しました。お客様にお伝えする折り返し依頼番号：%(reference)s",
    # Phone numbers
    "A phone or FAX number needs digits (hyphens are allowed).":
        "電話番号・FAX番号は数字で入力してください（ハイフンは使えます）。",
    # Callback list
    "Your departments' requests and the ones you took are listed (all of them for supervisors). The caller's "
    "name and request are shown only where you may see them, and showing them is recorded in the audit log.":
        "所属部署の依頼と、自分が受け付けた依頼を表示しています（スーパーバイザーはすべて）。氏名と依頼内容は"
        "閲覧権限のある依頼にだけ表示され、表示したことは監査ログに記録されます。",
    "Request": "依頼内容",
    "Taken by": "受付者",
    "Not shown: personal data for the responsible department.": "非表示（個人情報は担当部署のみ閲覧できます）",
    # Console
    "Call timer": "通話タイマー",
    "Start (new call)": "開始（新しい通話）",
    "Stop and fill the duration": "停止して通話時間に入力",
    "My callback requests": "自分が受け付けた折り返し依頼",
    "All callback requests I took": "自分が受け付けた折り返し依頼の一覧",
}

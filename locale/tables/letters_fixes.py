"""Japanese for issue 17 (counter and letters): the letters confirmation, the development-address warning and the
test print (read by scripts/po_fill.py)."""

JA = {
    # The site address printed on the letters
    "The site address (SITE_URL) is not set.": "サイトのアドレス（SITE_URL）が設定されていません。",
    "The booking address on the letters would be %(url)s, a development address that residents cannot open.":
        "通知に印刷される予約ページのアドレスが %(url)s になります。これは開発用のアドレスで、住民の方は開けません。",
    "The booking address on the letters would be %(url)s, without https (TLS).":
        "通知に印刷される予約ページのアドレスが %(url)s になります。https（暗号化通信）ではありません。",
    "Set the public address first, or confirm a test print.":
        "先に公開用のアドレスを設定するか、試し刷りであることを確認してください。",
    "TEST PRINT — do not mail": "試し刷り — 発送しないでください",
    # The confirmation before printing
    "Print notice letters": "案内通知の印刷",
    "Also print letters for applicants who already received their vouchers": "交付済みの方にも通知を印刷する",
    "Print anyway (test print)": "このまま印刷する（試し刷り）",
    "Every page is marked “TEST PRINT — do not mail”.": "すべてのページに「試し刷り — 発送しないでください」と印刷されます。",
    "I have checked the number of letters": "印刷する通数を確認しました",
    "The letters would carry a development address. Tick “Print anyway (test print)” for a test print, or set the "
    "public address first.":
        "通知に開発用のアドレスが印刷されます。試し刷りなら「このまま印刷する（試し刷り）」にチェックを入れてください。"
        "発送する通知は、公開用のアドレスを設定してから印刷してください。",
    "The applicants found have changed since the numbers were shown. Check the new numbers and confirm again.":
        "件数を表示した後に対象者が変わりました。新しい件数を確認して、もう一度確定してください。",
    "Warning: these letters would carry a development address.": "注意：この通知には開発用のアドレスが印刷されます。",
    "Residents could not book with the QR code or the address on the letter. Ask the system administrator to set "
    "the public https address (SITE_URL) before printing letters for mailing. A test print is possible: every page "
    "is then marked “TEST PRINT — do not mail”.":
        "住民の方は通知のQRコードやアドレスから予約できません。発送用の通知を印刷する前に、システム管理者に公開用の"
        "httpsアドレス（SITE_URL）の設定を依頼してください。試し刷りはできます（すべてのページに「試し刷り — "
        "発送しないでください」と印刷されます）。",
    "Check the number of letters": "印刷する通数の確認",
    "Nobody found has received their vouchers yet; no one is left out.": "交付済みの方はいないため、除外はありません。",
    "Start printing the letters": "通知の印刷を開始",
    "Letters printed now would carry a development address:": "いま印刷すると、通知に開発用のアドレスが入ります：",
}

PLURAL = {
    "%(n)s letter will be printed.": "%(n)s通を印刷します。",
    "%(n)s applicant who already received their vouchers is left out.": "交付済みの%(n)s人は除外します。",
    "With them included: %(n)s letter.": "含める場合は%(n)s通です。",
}

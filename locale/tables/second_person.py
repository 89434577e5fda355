"""Japanese for the second person's confirmation by sign-in (opening of envelopes, disposal). Format: scripts/po_fill.py."""

JA = {
    "Login ID of the second person": "2人目のログインID",
    "Password of the second person": "2人目のパスワード",
    "Code of the second person": "2人目の確認コード",
    "The 6-digit code from their authenticator app (TOTP), or one of their backup codes.":
        "2人目の認証アプリ（TOTP）に表示されている6桁のコード、またはバックアップコードのいずれか1つ。",
    "Too many failed attempts for this person. Wait 15 minutes and try again.":
        "この方の確認に失敗した回数が多すぎます。15分待ってからもう一度お試しください。",
    "The second person could not be confirmed. Check the login ID, the password and the current code, and try again.":
        "2人目の確認ができませんでした。ログインID・パスワード・現在のコードを確かめて、もう一度入力してください。",
    "Envelopes are opened by two people; you are the first. The second person types their own login ID, password "
    "and current code here.":
        "封筒は2人で開封します。あなたが1人目です。2人目の方が、ご自身のログインID・パスワード・現在のコードをここに入力してください。",
    "The witness types their own login ID, password and current code here.":
        "立会者の方が、ご自身のログインID・パスワード・現在のコードをここに入力してください。",
    "Second person not confirmed (opening or disposal refused)": "2人目の確認失敗（開封または廃棄を受け付けず）",
}

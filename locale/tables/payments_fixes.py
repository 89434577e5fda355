"""Japanese for the payouts fixes of issue 17 ("Payments"): carried amounts and which batch pays, the payment rule
chosen from a list, the "all four files" job. Format read by scripts/po_fill.py."""

JA = {
    # Carried amounts on the batch page
    "of which carried %(amount)s (failed transfer of the cutoff %(day)s)": "うち繰越 %(amount)s（%(day)s締の振込不能分）",
    "of which carried %(amount)s, still waiting (failed transfer of the cutoff %(day)s)":
        "うち繰越待ち %(amount)s（%(day)s締の振込不能分）",
    "%(amount)s is paid by the batch of the cutoff %(day)s": "%(amount)sは%(day)s締のバッチで支払います",
    "Not paid by this batch: the newer batch of the cutoff %(day)s pays it.":
        "このバッチでは支払いません。新しい%(day)s締のバッチで支払います。",
    "Not paid by this batch: held again in the newer batch of the cutoff %(day)s.":
        "このバッチでは支払いません。新しい%(day)s締のバッチでも保留中です。",
    "Also shown held in the batch of the cutoff %(day)s (awaiting approval): this batch pays it, that one does not.":
        "%(day)s締のバッチ（承認待ち）にも保留として表示されますが、支払うのはこのバッチです。",
    "Also shown held in the batch of the cutoff %(day)s (awaiting approval): neither batch pays it yet.":
        "%(day)s締のバッチ（承認待ち）にも保留として表示されています。どちらのバッチでもまだ支払いません。",
    "Carried, waiting": "繰越待ち",
    # The payment rule of a generated schedule
    "Last bank business day of the month": "月末最終営業日",
    "N bank business days after the cutoff": "締日のN営業日後",
    "N (bank business days after the cutoff)": "N（締日から何営業日後か）",
    "Only for “N bank business days after the cutoff”.": "「締日のN営業日後」を選んだときだけ入力します。",
    "Enter N, the number of bank business days after the cutoff.": "締日から何営業日後かを入力してください。",
    # All four files in one job
    "All four batch files": "バッチの4ファイル一括作成",
    "All four files": "4ファイル一括作成",
    "Generate all four files": "4ファイルをまとめて作成",
    "Your role may not generate these files.": "あなたの役割ではこれらのファイルを作成できません。",
    "%(file)s: %(error)s": "%(file)s：%(error)s",
    "The four files are ready.": "4つのファイルを作成しました。",
}

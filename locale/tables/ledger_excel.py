"""Japanese for the issuance ledger workbook (vouchers/ledger_excel.py), read by scripts/po_fill.py."""

JA = {
    "As of": "基準日",
    "Ledger lines": "台帳明細",
}

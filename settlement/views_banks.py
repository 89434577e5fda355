"""Bank and branch pickers for htmx: public, read-only lists the application form and the portal swap in.

The including form sends what the person typed as ``q`` (and the chosen bank code as ``bank``) and puts the
picked option's ``data-code`` into its hidden input; these views only answer with the matching options.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaign.japanese import normalize
from settlement.banks import search_banks, search_branches

# A query longer than any bank or branch name cannot match; cut it before it reaches the database.
_MAX_QUERY = 50


def _query(request) -> str:
    return request.GET.get("q", "")[:_MAX_QUERY]


@require_GET
def bank_search(request):
    q = _query(request)
    return render(request, "settlement/_bank_options.html", {"q": q, "banks": search_banks(q)})


@require_GET
def branch_search(request):
    q = _query(request)
    # The code as the form's input holds it: maybe full-width, maybe without its leading zeros.
    bank_code = normalize(request.GET.get("bank", "")[:8])
    bank_code = bank_code.zfill(4) if bank_code.isascii() and bank_code.isdigit() and len(bank_code) <= 4 else ""
    branches = search_branches(bank_code, q) if bank_code else []
    return render(request, "settlement/_branch_options.html", {"q": q, "bank_code": bank_code, "branches": branches})

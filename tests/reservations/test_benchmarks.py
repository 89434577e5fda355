"""The reservations benchmarks run end to end with tiny numbers: the figures are printed, the integrity checks
see every seat, and nothing is left behind. (The figures themselves are for `manage.py bench_*`, not tests.)"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from campaign.models import Campaign
from reservations.models import Applicant, Reservation, Slot


@pytest.mark.django_db(transaction=True)
def test_the_booking_rush_runs_small_against_gunicorn_and_checks_every_seat(capsys):
    call_command("bench_booking", "--seats", "60", "--clients", "8", "--workers", "1", "--rate", "20",
                 "--steady-seconds", "1")
    out = capsys.readouterr().out
    for run in ("bare endpoint (floor)", "API, 8 clients"):
        # every seat of the window booked, each with its row and its success answer
        assert re.search(re.escape(f"check {run}") + r"\s+seats 60, booked 60, rows 60: overbooked 0, lost 0, "
                         r"unanswered rows 0", out), out
    assert re.search(r"check API, steady 20/s offered\s+seats 20, booked \d+, rows \d+: overbooked 0, lost 0", out)
    assert re.search(r"API throughput as a share of the bare endpoint: \d+%", out)
    assert not Campaign.objects.filter(code="BENCHRESV").exists()
    assert not Slot.objects.exists() and not Reservation.objects.exists()


@pytest.mark.django_db
def test_the_letters_benchmark_runs_small_and_leaves_nothing(capsys):
    call_command("bench_letters", "--applicants", "30", "--no-baseline")
    out = capsys.readouterr().out
    assert re.search(r"N untraced\s+30 letters in .* letters/s", out)
    assert re.search(r"peak Python memory [\d.]+ MB at N vs [\d.]+ MB at N/10", out)
    assert not Applicant.objects.exists() and not Campaign.objects.filter(code="BENCHLTR").exists()

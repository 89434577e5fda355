"""Hook points for other parts of the reservations app (the applicant progress tracking of issue 9 appends
"reserved" and "visited" events here). Sent inside the service's transaction: a receiver that raises rolls
the booking or the arrival back with it. ``applicant`` is whatever the caller passed (None today)."""

from django.dispatch import Signal

# kwargs: reservation_id, actor, applicant
reservation_booked = Signal()
# kwargs: reservation, actor
reservation_arrived = Signal()
# kwargs: reservation, actor
reservation_cancelled = Signal()

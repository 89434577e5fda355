"""Hook points for other parts of the reservations app (the applicant progress tracking of issue 9 appends
"reserved" and "visited" events here). Sent inside the service's transaction: a receiver that raises rolls
the booking or the arrival back with it. ``applicant`` is whatever the caller passed. ``reservation_booked``
is sent for bookings that carry an applicant (a link code) and for staff bookings; a plain public booking has
nothing to commit with it and is a single statement (``reservations.booking``)."""

from django.dispatch import Signal

# kwargs: reservation_id, actor, applicant
reservation_booked = Signal()
# kwargs: reservation, actor
reservation_arrived = Signal()
# kwargs: reservation, actor
reservation_cancelled = Signal()

from celery import shared_task

from settlement import services


@shared_task(name="settlement.tasks.purge_expired_personal_data")
def purge_expired_personal_data() -> int:
    return services.representatives_purge()


@shared_task(name="settlement.tasks.close_due_cutoffs")
def close_due_cutoffs() -> int:
    """Close every cutoff whose day has ended (the batch then waits for a second person's approval)."""
    from settlement.services.payouts import cutoffs_close_due

    return len(cutoffs_close_due(actor=None))


@shared_task(name="settlement.tasks.fraud_watch_daily")
def fraud_watch_daily() -> int:
    from campaign.models import Campaign
    from settlement.services.fraud import fraud_scan

    return sum(len(fraud_scan(campaign=campaign)) for campaign in Campaign.objects.filter(is_active=True))


from settlement import payout_documents  # noqa: E402, F401  (the worker learns the batch output job kinds here)

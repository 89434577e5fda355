"""The Celery application.

With REDIS_URL set, jobs go to Redis and run on a worker (`celery -A campaign worker`) and the scheduler
(`celery -A campaign beat`). Without it, settings make every task run inline (CELERY_TASK_ALWAYS_EAGER),
so the demo works with nothing but PostgreSQL.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

app = Celery("campaign")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import logging
import os

from celery import Celery
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def task_send(task, *args) -> bool:
    """`task.delay(*args)`, except that a broker that cannot be reached is logged, not raised.

    Only for work whose database row is already committed and picked up again by a periodic
    sweep (the webhook inbox, the outbox): with Redis down that work is late, not lost, and the
    request that asked for it — Solo's webhook call, a nurse's form — still gets its answer
    instead of a 500 after its row was saved."""
    try:
        task.delay(*args)
    except OperationalError:
        logger.warning("broker unreachable: %s%r left for its periodic sweep", task.name, args)
        return False
    return True

"""The Celery application: settings come from Django's settings (CELERY_* names).

Harvest tasks run in the worker, so the worker is a harvest process: at start-up (`celeryd_init`, sent in the
worker's main process before any task runs) it installs the egress audit hook of `harvesters.fetch`. With the
threads pool (the configured default) tasks run in that very process; with prefork the children are forked from
it and inherit the hook, which cannot be removed.
"""

import os
from typing import Any

from celery import Celery
from celery.signals import celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("atlas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
def install_harvest_audit_hook(**kwargs: Any) -> None:
    """Refuse every outbound connection but fetch()'s and the configured services' in the worker (docs/privacy.md §3,
    2.4): a library that tries to fetch on its own fails loudly instead."""
    from harvesters.fetch import install_worker_audit_hook

    install_worker_audit_hook()

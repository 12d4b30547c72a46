"""The project's own app config: creates the database cache table whenever `migrate` runs.

The embedded default cache (settings.CACHES, `db://atlas_cache`) is a database table, which Django creates with
`createcachetable`, not with a migration. Running that after every `migrate` (which `make setup`, a production
release and the test database creation all run) means no deployment can start with the table missing; it does
nothing when the table exists or when the cache is not a database cache (Redis in production).
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_tables(*, using: str, **kwargs: Any) -> None:
    call_command("createcachetable", database=using, verbosity=0)


class AtlasEdgeConfig(AppConfig):
    name = "config"
    label = "atlas_config"
    verbose_name = "Atlas configuration"

    def ready(self) -> None:
        # post_migrate is sent per app with models, and this app has none: hang the hook on contenttypes, which
        # every Django project with auth installs, so it runs once per migrate.
        post_migrate.connect(
            create_cache_tables, sender=apps.get_app_config("contenttypes"), dispatch_uid="atlas_create_cache_tables"
        )

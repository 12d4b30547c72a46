"""Source.kind: choices come from the harvester registry (`ATLAS_HARVESTER_KINDS`), no longer a fixed list.

The catalogue lists no harvester kind; `source_kind_choices` reads the registry's names when a source is
validated, so registering a kind needs no further migration.
"""

from django.db import migrations, models

import catalogue.models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="source",
            name="kind",
            field=models.CharField(choices=catalogue.models.source_kind_choices, max_length=32),
        ),
    ]

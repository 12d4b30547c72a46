# The staging table's model is StagingRow: StagedItem names the harvester contract's item (harvesters.base).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("harvesters", "0001_initial"),
    ]

    operations = [
        migrations.RenameModel(old_name="StagedItem", new_name="StagingRow"),
    ]

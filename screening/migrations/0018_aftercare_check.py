from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("screening", "0017_treatment_records")]

    operations = []

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("screening", "0018_aftercare_check")]

    operations = []

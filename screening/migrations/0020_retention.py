from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("screening", "0019_api_tokens")]

    operations = []

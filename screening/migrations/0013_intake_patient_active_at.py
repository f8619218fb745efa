from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0012_consent_form_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="intake",
            name="patient_active_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]

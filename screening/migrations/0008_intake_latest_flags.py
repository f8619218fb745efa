"""The latest screening's flags on the intake (item and level), for the queue's chips."""

from django.db import migrations, models

ORDER = {"absolute": 0, "relative": 1}


def fill(apps, schema_editor):
    Intake = apps.get_model("screening", "Intake")
    ScreeningResult = apps.get_model("screening", "ScreeningResult")
    for intake in Intake.objects.filter(latest_flag_count__gt=0).iterator():
        latest = (
            ScreeningResult.objects.filter(intake=intake).order_by("-created_at", "-pk").first()
        )
        if latest is None:
            continue
        pairs = [(f["item"], f["level"]) for f in latest.findings if f["level"] in ORDER]
        pairs.sort(key=lambda pair: ORDER[pair[1]])
        intake.latest_flags = [{"item": item, "level": level} for item, level in pairs]
        intake.save(update_fields=["latest_flags"])


class Migration(migrations.Migration):
    dependencies = [("screening", "0007_flagresolution_patient_wording")]

    operations = [
        migrations.AddField(
            model_name="intake",
            name="latest_flags",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

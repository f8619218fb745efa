import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("screening", "0019_api_tokens")]

    operations = [
        migrations.AddField(
            model_name="clinicsettings",
            name="retention_years",
            field=models.PositiveSmallIntegerField(
                default=8,
                help_text=(
                    "manage.py apply_retention erases a patient's record this many years after "
                    "their last appointment (a minor's not before their 25th birthday). The "
                    "period is set by your jurisdiction's rules for health records: check them "
                    "before changing it."
                ),
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(100),
                ],
                verbose_name="Keep records for (years after the last appointment)",
            ),
        ),
        migrations.AddField(
            model_name="patient",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="patient",
            name="date_of_birth",
            field=models.DateField(null=True, verbose_name="date of birth"),
        ),
    ]

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("screening", "0017_treatment_records")]

    operations = [
        migrations.CreateModel(
            name="AftercareCheck",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("due_at", models.DateTimeField(verbose_name="due")),
                (
                    "token_hash",
                    models.CharField(blank=True, max_length=64, null=True, unique=True),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("sent_channels", models.JSONField(blank=True, default=list)),
                ("delivered", models.BooleanField(default=False)),
                ("send_error", models.CharField(blank=True, max_length=300)),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                ("soreness", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("bruising", models.BooleanField(blank=True, null=True)),
                ("symptoms", models.JSONField(blank=True, default=list)),
                ("other_symptoms", models.TextField(blank=True)),
                ("red_flags", models.JSONField(blank=True, default=list)),
                ("call_needed_at", models.DateTimeField(blank=True, null=True)),
                ("call_recorded_at", models.DateTimeField(blank=True, null=True)),
                ("call_note", models.TextField(blank=True)),
                ("desk_called_at", models.DateTimeField(blank=True, null=True)),
                (
                    "desk_outcome",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("well", "Spoke to the patient: no problems"),
                            ("problem", "Spoke to the patient: a practitioner should call back"),
                            ("no_answer", "No answer: try again later"),
                        ],
                        max_length=12,
                    ),
                ),
                ("desk_note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "call_recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "desk_called_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "intake",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="aftercare_check",
                        to="screening.intake",
                    ),
                ),
                (
                    "treatment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="aftercare_check",
                        to="screening.treatmentrecord",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["due_at"], name="aftercare_due_idx"),
                    models.Index(fields=["call_needed_at"], name="aftercare_call_idx"),
                ],
            },
        ),
    ]

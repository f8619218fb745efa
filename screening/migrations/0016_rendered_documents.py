import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0015_links_and_desk"),
    ]

    operations = [
        migrations.CreateModel(
            name="RenderedDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("consent", "Consent form"), ("aftercare", "Aftercare sheet")],
                        max_length=20,
                    ),
                ),
                ("key", models.CharField(max_length=64)),
                ("pdf", models.BinaryField(blank=True, null=True)),
                ("error", models.CharField(blank=True, max_length=300)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "intake",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rendered",
                        to="screening.intake",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("intake", "kind", "key"), name="one_rendering_per_document_version"
                    )
                ],
            },
        ),
    ]

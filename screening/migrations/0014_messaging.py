"""Invitations sent by e-mail and text message, their delivery records, reminders and message templates (issue 16)."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0013_intake_patient_active_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='clinicsettings',
            name='invitation_email_body',
            field=models.TextField(default='Hello,\n\nBefore your appointment at {clinic_name} on {appointment_date} at {appointment_time}, please answer a short health questionnaire. It takes about 10 minutes, and you can stop and carry on later.\n\n{link}\n\nThe link asks for your date of birth first. Please do not forward this e-mail.\n\nQuestions? Call us on {clinic_phone}.\n\n{clinic_name}', verbose_name='Invitation e-mail: text'),
        ),
        migrations.AddField(
            model_name='clinicsettings',
            name='invitation_email_subject',
            field=models.CharField(default='Your health questionnaire for {clinic_name}', max_length=200, verbose_name='Invitation e-mail: subject'),
        ),
        migrations.AddField(
            model_name='clinicsettings',
            name='invitation_sms_body',
            field=models.TextField(default='{clinic_name}: please fill in your health form for {appointment_date} {appointment_time}: {link}', verbose_name='Invitation text message'),
        ),
        migrations.AddField(
            model_name='clinicsettings',
            name='reminder_email_body',
            field=models.TextField(default='Hello,\n\nYour appointment at {clinic_name} is on {appointment_date} at {appointment_time}. Your health questionnaire is not finished yet: please complete it before you come. Anything you have already answered is saved.\n\n{link}\n\nThis link replaces the one we sent before, and asks for your date of birth first.\n\nQuestions? Call us on {clinic_phone}.\n\n{clinic_name}', verbose_name='Reminder e-mail: text'),
        ),
        migrations.AddField(
            model_name='clinicsettings',
            name='reminder_email_subject',
            field=models.CharField(default='Reminder: your health questionnaire for {clinic_name}', max_length=200, verbose_name='Reminder e-mail: subject'),
        ),
        migrations.AddField(
            model_name='clinicsettings',
            name='reminder_hours_before',
            field=models.PositiveSmallIntegerField(default=24, help_text='Patients who have not sent their questionnaire get one reminder this many hours before the appointment, by the same means as their invitation.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(168)], verbose_name='Send the reminder (hours before the appointment)'),
        ),
        migrations.AddField(
            model_name='clinicsettings',
            name='reminder_sms_body',
            field=models.TextField(default='{clinic_name}: please finish your health form for {appointment_date} {appointment_time}: {link}', verbose_name='Reminder text message'),
        ),
        migrations.CreateModel(
            name='InvitationMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('invitation', 'Invitation'), ('reminder', 'Reminder')], max_length=20)),
                ('channel', models.CharField(choices=[('email', 'e-mail'), ('sms', 'text message')], max_length=10)),
                ('status', models.CharField(choices=[('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='sending', max_length=10)),
                ('appointment_at', models.DateTimeField()),
                ('error', models.CharField(blank=True, max_length=300)),
                ('provider_id', models.CharField(blank=True, max_length=200)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('intake', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='screening.intake')),
                ('link', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='screening.intakelink')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['intake', 'channel', 'created_at'], name='message_latest_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('kind', 'reminder')), fields=('intake', 'kind', 'channel', 'appointment_at'), name='one_reminder_per_channel_and_appointment')],
            },
        ),
    ]

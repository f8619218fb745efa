"""Forms. Layout only (crispy); validation of clinical answers lives in questionnaire.py."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from screening.models import ClinicSettings
from screening.permissions import Role


class ClinicSettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ClinicSettings
        fields = (
            "name",
            "address",
            "phone",
            "emergency_number",
            "registration_details",
            "paper_size",
            "link_lifetime_days",
            *ClinicSettings.THRESHOLD_FIELDS,
        )
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "registration_details": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class StaffCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    profession = forms.CharField(label=_("Profession"), max_length=100, required=False)
    registration_number = forms.CharField(
        label=_("Registration / credential"), max_length=100, required=False
    )
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 10 characters. Ask the person to change it after signing in."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

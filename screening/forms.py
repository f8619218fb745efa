"""Forms. Layout only (crispy); validation of clinical answers lives in questionnaire.py."""

import datetime
import json
import math
from dataclasses import dataclass

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from screening import questionnaire, regions
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


# ---------------------------------------------------------------------------------------------
# The questionnaire wizard: one form per section, generated from questionnaire.py.

FORM_YES_NO = (("yes", _("Yes")), ("no", _("No")))
MAIN = "answer"


def field_name(item_id: str, field_id: str) -> str:
    """The HTML name of an item's field: ``<item>__<field>`` (the main answer is ``answer``)."""
    return f"{item_id}__{field_id}"


class RegionsWidget(forms.Widget):
    """Body-region checkboxes in labelled groups (see templates/screening/widgets/)."""

    template_name = "screening/widgets/regions.html"
    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False

    def format_value(self, value):
        return [str(v) for v in value] if isinstance(value, list | tuple) else []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = set(context["widget"]["value"])
        base_id = context["widget"]["attrs"].get("id", name)
        groups = []
        for group in regions.REGION_GROUPS:
            options = [
                {
                    "value": region_id,
                    "label": regions.label(region_id),
                    "id": f"{base_id}_{region_id}",
                    "checked": region_id in chosen,
                }
                for region_id in (*group.regions, *group.aliases)
            ]
            groups.append({"id": group.id, "label": group.label, "options": options})
        context["widget"]["groups"] = groups
        return context


def _django_field(spec, label: str, help_text: str) -> forms.Field:
    """The one mapping from a questionnaire field kind to a Django form field."""
    kind = spec.kind
    common = {"label": label, "help_text": help_text, "required": False}
    if kind == questionnaire.YES_NO:
        return forms.ChoiceField(choices=FORM_YES_NO, widget=forms.RadioSelect, **common)
    if kind == questionnaire.CHOICE:
        choices = [(c.value, c.label) for c in spec.choices]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == questionnaire.MULTI_CHOICE:
        choices = [(c.value, c.label) for c in spec.choices]
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == questionnaire.REGIONS:
        choices = [(r, r) for r in (*regions.REGIONS, *regions.ALIASES)]
        return forms.MultipleChoiceField(choices=choices, widget=RegionsWidget, **common)
    if kind in questionnaire.NUMBER_KINDS:
        mode = "numeric" if kind == questionnaire.INTEGER else "decimal"
        suffix = f" ({spec.unit})" if spec.unit else ""
        return forms.CharField(
            max_length=20,
            widget=forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off"}),
            **{**common, "label": f"{label}{suffix}"},
        )
    return forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), **common)


@dataclass(frozen=True)
class _MainSpec:
    """The main answer of an item seen as a field spec (yes/no or choice)."""

    kind: str
    choices: tuple = ()


def _main_spec(item) -> _MainSpec | None:
    if item.answer_kind == questionnaire.ANSWER_YES_NO:
        return _MainSpec(questionnaire.YES_NO)
    if item.answer_kind == questionnaire.ANSWER_CHOICE:
        return _MainSpec(questionnaire.CHOICE, item.answer_choices)
    return None


def _to_form_value(kind: str, value):
    """A stored (JSON) value as the form shows it."""
    if kind == questionnaire.YES_NO:
        return {True: "yes", False: "no"}.get(value)
    if kind in questionnaire.NUMBER_KINDS and value is not None:
        return f"{value:g}" if isinstance(value, float) else str(value)
    return value


def _parse_number(kind: str, raw: str):
    """Parse a typed number; None when blank; raises ValueError when it is not a number."""
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return None
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    if kind == questionnaire.INTEGER or number.is_integer():
        return int(number) if number.is_integer() else number
    return number


class StepForm(forms.Form):
    """One wizard step. ``item_values`` holds the canonical answers after ``is_valid()``.

    Follow-ups are re-evaluated here from the submitted values: a follow-up whose condition does
    not hold is ignored (its input, even a malformed one, is dropped), exactly as ``prune`` does
    on save. With ``partial=True`` ("save and finish later") missing answers are not errors; an
    item whose main answer is missing is simply not saved.
    """

    def __init__(self, section, *, thresholds, age_years, stored, partial=False, **kwargs):
        super().__init__(**kwargs)
        self.section = section
        self.thresholds = thresholds
        self.age_years = age_years
        self.partial = partial
        self.item_values: dict[str, dict] = {}
        self.blocks = []  # for the template: per item, its main field and follow-ups
        for item_id in section.items:
            item = questionnaire.item(item_id)
            stored_values = stored.get(item_id, {})
            self._add_item(item, stored_values)

    def _add_item(self, item, stored_values):
        main = _main_spec(item)
        question = item.question_text(self.thresholds)
        block = {"item": item, "question": question, "main": None, "follow_ups": []}
        if main is not None:
            name = field_name(item.id, MAIN)
            self.fields[name] = _django_field(main, question, item.help)
            self.initial[name] = _to_form_value(main.kind, stored_values.get(MAIN))
            block["main"] = name
        for follow_up in item.follow_ups:
            if follow_up.clinician_only or follow_up.derived:
                continue
            name = field_name(item.id, follow_up.id)
            self.fields[name] = _django_field(
                follow_up, follow_up.label_text(self.thresholds), follow_up.help
            )
            self.initial[name] = _to_form_value(follow_up.kind, stored_values.get(follow_up.id))
            block["follow_ups"].append(
                {"name": name, "spec": follow_up, "when": _when_json(item.id, follow_up)}
            )
        block["derived"] = self.derived_preview(item, stored_values)
        self.blocks.append(block)

    def display_blocks(self) -> list[dict]:
        """Per item: its bound fields, and which follow-ups show for the current values."""
        shown = []
        for block in self.blocks:
            item = block["item"]
            current = self._current_values(item)
            derived = {
                field_name(item.id, key): _to_js(value)
                for key, value in self.derived_preview(item, current).items()
            }
            follow_ups = [
                {
                    "field": self[entry["name"]],
                    "kind": entry["spec"].kind,
                    "when": entry["when"],
                    "visible": entry["spec"].enabled(current),
                }
                for entry in block["follow_ups"]
            ]
            shown.append(
                {
                    "item": item,
                    "question": block["question"],
                    "main": self[block["main"]] if block["main"] else None,
                    "follow_ups": follow_ups,
                    "derived_json": json.dumps(derived),
                    "age_years": current.get("age_years") if item.id == "minor_patient" else None,
                }
            )
        return shown

    def _current_values(self, item) -> dict:
        """The item's values as submitted (bound) or stored (unbound), roughly typed."""
        values: dict = {}
        fields_in_order = [(MAIN, _main_spec(item))] + [(f.id, f) for f in item.follow_ups]
        for field_id, spec in fields_in_order:
            name = field_name(item.id, field_id)
            if spec is None or name not in self.fields:
                continue
            many = spec.kind in (questionnaire.MULTI_CHOICE, questionnaire.REGIONS)
            if self.is_bound:
                raw = (
                    self.data.getlist(name)
                    if many and hasattr(self.data, "getlist")
                    else (self.data.get(name))
                )
            else:
                raw = self.initial.get(name)
            if spec.kind == questionnaire.YES_NO:
                raw = {"yes": True, "no": False}.get(raw)
            values[field_id] = raw
        values = _answered(values)
        values.update(self.derived_preview(item, values))
        return values

    def derived_preview(self, item, values):
        """Derived values to show or to drive conditions (the minor branch, BMI)."""
        if item.derivation is None:
            return {}
        context = questionnaire.DeriveContext(thresholds=self.thresholds, age_years=self.age_years)
        return item.derivation.compute(values, context)

    def clean(self):
        cleaned = super().clean()
        for block in self.blocks:
            item = block["item"]
            values, errors = self._item_from_cleaned(item, cleaned)
            for field_id, message in errors.items():
                self._report(item, field_id, message)
            skipped = self.partial and _main_spec(item) is not None and MAIN not in values
            if values and not errors and not skipped:
                self.item_values[item.id] = values
        return cleaned

    def _report(self, item, field_id, message):
        name = field_name(item.id, field_id)
        if name not in self.fields:
            name = None  # a derived or clinician field: report at the top of the step
            message = f"{item.question_text(self.thresholds)} {message}"
        self.add_error(name, message)

    def _item_from_cleaned(self, item, cleaned):
        """Typed item values from the form, following the enable conditions in order."""
        values: dict = {}
        errors: dict[str, str] = {}
        main = _main_spec(item)
        if main is not None:
            raw = cleaned.get(field_name(item.id, MAIN))
            if main.kind == questionnaire.YES_NO:
                values[MAIN] = {"yes": True, "no": False}.get(raw)
            else:
                values[MAIN] = raw or None
        else:
            values.update(self.derived_preview(item, {}))
        for follow_up in item.follow_ups:
            name = field_name(item.id, follow_up.id)
            if name not in self.fields:
                continue
            current = {k: v for k, v in values.items() if v not in (None, "", [])}
            if not follow_up.enabled(current):
                self.errors.pop(name, None)  # its input no longer matters
                continue
            if name in self.errors:
                errors[follow_up.id] = ""  # already reported by the field itself
                continue
            raw = cleaned.get(name)
            if follow_up.kind in questionnaire.NUMBER_KINDS:
                try:
                    values[follow_up.id] = _parse_number(follow_up.kind, raw)
                except ValueError:
                    errors[follow_up.id] = "Please enter a number, for example 12 or 2.5"
                    continue
            elif follow_up.kind == questionnaire.YES_NO:
                values[follow_up.id] = {"yes": True, "no": False}.get(raw)
            elif follow_up.kind == questionnaire.TEXT:
                values[follow_up.id] = (raw or "").strip()
            else:
                values[follow_up.id] = raw
            if item.derivation is not None:
                values.update(self.derived_preview(item, _answered(values)))
        values = _answered(values)
        for field_id, message in questionnaire.validate_item(item.id, values).items():
            missing = field_id not in values
            if missing and self.partial:
                continue  # "finish later": an unanswered question is not an error yet
            errors.setdefault(field_id, message)
        errors = {k: v for k, v in errors.items() if v}
        return values, errors


def _answered(values: dict) -> dict:
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def _when_json(item_id: str, follow_up) -> str:
    """Enable conditions for the browser (comfort only: the server decides)."""
    return json.dumps(
        [
            {"field": field_name(item_id, c.field), "op": c.op, "value": _to_js(c.value)}
            for c in follow_up.enable_when
        ]
    )


def _to_js(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return [_to_js(v) for v in value]
    return value


class IdentityForm(forms.Form):
    """The patient confirms their date of birth before any question is shown."""

    day = forms.IntegerField(label=_("Day"), min_value=1, max_value=31)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, width in (("day", 2), ("month", 2), ("year", 4)):
            widget = self.fields[name].widget
            widget.input_type = "text"
            widget.attrs.update(
                {"inputmode": "numeric", "maxlength": width, "autocomplete": f"bday-{name}"}
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["date_of_birth"] = datetime.date(
                cleaned["year"], cleaned["month"], cleaned["day"]
            )
        except ValueError:
            raise forms.ValidationError(_("That date does not exist. Please check it.")) from None
        return cleaned


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_(
            "I confirm that my answers are true and complete to the best of my knowledge, and "
            "I will tell the practitioner if anything changes before treatment."
        ),
        error_messages={"required": _("Please tick the box to confirm your answers.")},
    )


class IntakeCreateForm(forms.Form):
    """Front desk: a new intake for an appointment."""

    full_name = forms.CharField(label=_("Patient's full name"), max_length=200)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label=_("Email (optional)"), required=False)
    phone = forms.CharField(label=_("Mobile phone (optional)"), max_length=50, required=False)
    appointment_date = forms.DateField(
        label=_("Appointment date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    appointment_time = forms.TimeField(
        label=_("Appointment time"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    practitioner = forms.ModelChoiceField(
        label=_("Practitioner"), queryset=None, required=False, empty_label=_("Not decided yet")
    )

    def __init__(self, *args, **kwargs):
        from screening.models import User
        from screening.permissions import Role

        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = User.objects.filter(
            role=Role.PRACTITIONER, is_active=True
        ).order_by("last_name", "first_name", "username")
        self.fields["practitioner"].label_from_instance = lambda user: user.display_name()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Please enter the patient's full name."))
        return name

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value > datetime.date.today():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if value.year < 1900:
            raise forms.ValidationError(_("Please check the year of birth."))
        return value

    def appointment_at(self):
        from django.utils import timezone

        naive = datetime.datetime.combine(
            self.cleaned_data["appointment_date"], self.cleaned_data["appointment_time"]
        )
        return timezone.make_aware(naive)

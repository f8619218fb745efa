"""Forms. Layout only (crispy); validation of clinical answers lives in questionnaire.py."""

import datetime
import json
import math
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from screening import codes, messaging, sms
from screening.engine import questionnaire, regions
from screening.models import ClinicSettings, Intake, User
from screening.roles import Role


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
            "full_questionnaire_months",
            "consent_valid_months",
            "retention_years",
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

    def clean(self):
        data = super().clean()
        # Browsers send a textarea's line breaks as CRLF: stored as LF, an unchanged address
        # is not a change.
        for name, value in data.items():
            if isinstance(value, str):
                data[name] = value.replace("\r\n", "\n")
        return data

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def threshold_changes(self, current: ClinicSettings) -> list[dict]:
        """The clinical thresholds this form changes: label, unit-bearing values before and
        after (as people read them), and the engine's new value."""
        changed = []
        for name in ClinicSettings.THRESHOLD_FIELDS:
            before, after = getattr(current, name), self.cleaned_data[name]
            if before != after:
                field = self.fields[name]
                changed.append(
                    {
                        "name": name,
                        "label": field.label,
                        "help_text": field.help_text,
                        "before": _shown(field, before),
                        "after": _shown(field, after),
                        "value": float(after) if isinstance(after, Decimal) else after,
                    }
                )
        return changed


def _shown(field: forms.Field, value) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    choices = dict(getattr(field, "choices", ()) or ())
    return str(choices.get(value, value))


class ThresholdReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you changing this?"),
        help_text=_(
            "Kept in the audit trail with the old and new values, for example who advised the "
            "change and when."
        ),
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Please give a reason for the change."),
            "min_length": _("Please say a little more: at least 10 characters."),
        },
    )


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
        help_text=_("At least 12 characters. They choose their own at their first sign-in."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


# ---------------------------------------------------------------------------------------------
# The questionnaire wizard: one form per section, generated from questionnaire.py.

FORM_YES_NO = (("yes", _("Yes")), ("no", _("No")))
MAIN = "answer"
PREFER_NOT = "prefer_not"


def field_name(item_id: str, field_id: str) -> str:
    """The HTML name of an item's field: ``<item>__<field>`` (the main answer is ``answer``)."""
    return f"{item_id}__{field_id}"


def body_map_regions(selected=(), classes=None) -> dict[str, dict[str, str]]:
    """What templates/screening/widgets/body_map.html draws: per region id, its label and the
    extra classes of its shapes (" is-selected" for a region in `selected`, aliases expanded and
    unknown ids ignored, plus the region's entry in `classes`, e.g. "bm-level-absolute")."""
    chosen = regions.expand(r for r in selected if regions.is_region_or_alias(r))
    classes = classes or {}
    drawn = {}
    for region_id, region_label in regions.REGIONS.items():
        names = [classes.get(region_id, ""), "is-selected" if region_id in chosen else ""]
        css = " ".join(name for name in names if name)
        drawn[region_id] = {"label": region_label, "css": f" {css}" if css else ""}
    return drawn


class RegionsWidget(forms.Widget):
    """Body-region checkboxes in labelled groups, under a body map that ticks them (see
    templates/screening/widgets/)."""

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
        # Staff read "Right"/"Left" (the patient's own); a patient reads "Your right".
        context["widget"]["staff"] = self.attrs.get("data-viewer") == "staff"
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
                    # An alias's regions, for the body map's script.
                    "members": " ".join(regions.ordered(regions.ALIAS_MEMBERS.get(region_id, ()))),
                }
                for region_id in (*group.regions, *group.aliases)
            ]
            groups.append({"id": group.id, "label": group.label, "options": options})
        context["widget"]["groups"] = groups
        context["widget"]["body_map"] = body_map_regions(chosen)
        return context


class _FixedChoices(BaseChoiceIterator):
    """A field's choices in Django's normal form, made once: Django takes a choice iterator as
    it is, where a list is normalised again, for the field and for its widget, each time a
    wizard page builds its form."""

    def __init__(self, pairs):
        self._pairs = tuple(pairs)

    def __iter__(self):
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


_YES_NO_CHOICES = _FixedChoices(FORM_YES_NO)
_REGION_CHOICES = _FixedChoices((r, r) for r in (*regions.REGIONS, *regions.ALIASES))
_spec_choices: dict[int, tuple] = {}


def _choices_of(spec) -> _FixedChoices:
    """A questionnaire spec's choices, kept with the questionnaire's tuple of choices (by
    identity) they were made from: a main answer's spec is made afresh for each form, its
    tuple is the questionnaire's own, so the cache holds one entry per list of choices."""
    source = spec.choices
    cached = _spec_choices.get(id(source))
    if cached is None or cached[0] is not source:
        cached = (source, _FixedChoices((c.value, c.label) for c in source))
        _spec_choices[id(source)] = cached
    return cached[1]


def _django_field(spec, label: str, help_text: str) -> forms.Field:
    """The one mapping from a questionnaire field kind to a Django form field."""
    kind = spec.kind
    common = {"label": label, "help_text": help_text, "required": False}
    if kind == questionnaire.YES_NO:
        return forms.ChoiceField(choices=_YES_NO_CHOICES, widget=forms.RadioSelect, **common)
    if kind == questionnaire.CHOICE:
        return forms.ChoiceField(choices=_choices_of(spec), widget=forms.RadioSelect, **common)
    if kind == questionnaire.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=_choices_of(spec), widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == questionnaire.REGIONS:
        return forms.MultipleChoiceField(choices=_REGION_CHOICES, widget=RegionsWidget, **common)
    if kind in questionnaire.NUMBER_KINDS:
        mode = "numeric" if kind == questionnaire.INTEGER else "decimal"
        # "How many weeks pregnant are you?" needs no "(weeks)"; "Height" needs its "(cm)".
        named = spec.unit.casefold() in label.casefold()
        suffix = f" ({spec.unit})" if spec.unit and not named else ""
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


# "1,000" or "150,000": a comma before groups of exactly three digits is a thousands separator
# to some patients and a decimal comma to others. Guessing could turn a platelet count of
# 150,000 into 150 or 150000, so it is refused with a message instead.
_GROUPED_DIGITS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
NUMBER_MESSAGE = _("Please enter a number, for example 12 or 2.5")
GROUPED_NUMBER_MESSAGE = _(
    "Please type the number without a comma between thousands, for example 150 or 1500. "
    "For a decimal, use a point, for example 2.5"
)


class GroupedNumber(ValueError):
    """A number typed with thousands separators: ambiguous, refused with its own message."""


def _parse_number(kind: str, raw: str):
    """Parse a typed number; None when blank; raises ValueError when it is not a number.

    A decimal comma is read as a point ("2,4" is 2.4); digits grouped in threes by commas raise
    `GroupedNumber`.
    """
    text = (raw or "").strip()
    if _GROUPED_DIGITS.fullmatch(text):
        raise GroupedNumber(text)
    text = text.replace(",", ".")
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

    def __init__(
        self,
        section,
        *,
        thresholds,
        age_years,
        stored,
        page=1,
        page_done=False,
        partial=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.section = section
        self.page = page
        self.thresholds = thresholds
        self.age_years = age_years
        self.partial = partial
        self.item_values: dict[str, dict] = {}
        self.blocks = []  # for the template: per item, its main field and follow-ups
        for item_id in section.pages[page - 1]:
            item = questionnaire.item(item_id)
            self._add_item(item, stored.get(item_id, {}), page_done=page_done)

    def _add_item(self, item, stored_values, *, page_done):
        main = _main_spec(item)
        question = item.question_text(self.thresholds)
        block = {"item": item, "question": question, "main": None, "follow_ups": []}
        if main is not None:
            name = field_name(item.id, MAIN)
            field = _django_field(main, question, item.help)
            initial = _to_form_value(main.kind, stored_values.get(MAIN))
            if item.optional and main.kind == questionnaire.YES_NO:
                # "You do not have to answer": saying so is an answer of its own. Nothing is
                # stored for it, which the screening reads as not reported (§3).
                field.choices = [*field.choices, (PREFER_NOT, _("Prefer not to say"))]
                if initial is None and page_done:
                    initial = PREFER_NOT
            self.fields[name] = field
            self.initial[name] = initial
            block["main"] = name
        for follow_up in item.follow_ups:
            if follow_up.clinician_only or follow_up.derived:
                continue
            name = field_name(item.id, follow_up.id)
            # An item asked through its first follow-up (dry needling before?) has that
            # follow-up as its question: the group's legend is then the question itself.
            asks_item = questionnaire.asked_by(item) is follow_up
            label = question if asks_item else follow_up.label_text(self.thresholds)
            self.fields[name] = _django_field(follow_up, label, follow_up.help)
            if asks_item:
                block["asked_by"] = name
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
            # Pruned like the stored answers, so that a follow-up of a hidden follow-up stays
            # hidden (INR after "no" to blood thinners, even with an agent still ticked).
            enabled = {f.id for f in questionnaire.enabled_fields(item.id, current)}
            follow_ups = [
                {
                    "field": self[entry["name"]],
                    "kind": _display_kind(entry["spec"].kind),
                    "when": entry["when"],
                    "visible": entry["spec"].id in enabled,
                    "asks_item": entry["name"] == block.get("asked_by"),
                }
                for entry in block["follow_ups"]
            ]
            main = _main_spec(item)
            shown.append(
                {
                    "item": item,
                    "question": block["question"],
                    "main": self[block["main"]] if block["main"] else None,
                    "main_kind": _display_kind(main.kind) if main else "",
                    "asked_by_follow_up": "asked_by" in block,
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
            if item.optional and not raw and not self.partial:
                errors[MAIN] = str(_("Please choose yes, no, or prefer not to say"))
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
                except GroupedNumber:
                    errors[follow_up.id] = GROUPED_NUMBER_MESSAGE
                    continue
                except ValueError:
                    errors[follow_up.id] = NUMBER_MESSAGE
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


def _display_kind(kind: str) -> str:
    """How the patient's page draws a field: two big buttons, a list of options, regions..."""
    return {
        questionnaire.YES_NO: "yesno",
        questionnaire.CHOICE: "choice",
        questionnaire.MULTI_CHOICE: "multi",
        questionnaire.REGIONS: "regions",
        questionnaire.TEXT: "text",
    }.get(kind, "number")


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


class StaffEditForm(forms.Form):
    """A staff member's details and role, as the clinic admin edits them."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    profession = forms.CharField(label=_("Profession"), max_length=100, required=False)
    registration_number = forms.CharField(
        label=_("Registration / credential"), max_length=100, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class PasswordChangeForm(forms.Form):
    """The signed-in user's own password: the current one, and the new one twice."""

    current = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_("At least 12 characters; not a common password, not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    repeat = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new") and cleaned.get("repeat") and cleaned["new"] != cleaned["repeat"]:
            self.add_error("repeat", _("The two new passwords are not the same."))
        return cleaned


class StaffSignInForm(AuthenticationForm):
    """Django's sign-in form, refusing an over-long username before anything looks it up."""

    def clean(self):
        username = self.data.get("username", "")
        if len(username) > settings.USERNAME_MAX_LENGTH:
            raise self.get_invalid_login_error()
        return super().clean()


class SecondFactorForm(forms.Form):
    """A six-digit code from the authenticator app, or one of the backup codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"}
        ),
        error_messages={"required": _("Please type the code from your app.")},
    )


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


class TypedCodeForm(forms.Form):
    """The short code from the invitation handout, typed instead of scanning the QR code."""

    code = forms.CharField(
        label=_("Code from your letter"),
        help_text=_("8 letters and numbers, for example KQ7M-4TXP. Small letters are fine."),
        max_length=40,
        error_messages={"required": _("Enter the code from your letter.")},
    )

    def clean_code(self):
        try:
            return codes.normalise(self.cleaned_data["code"])
        except codes.CodeFormatError as exc:
            raise forms.ValidationError(str(exc)) from None


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_(
            "I confirm that my answers are true and complete to the best of my knowledge, and "
            "I will tell the practitioner if anything changes before treatment."
        ),
        error_messages={"required": _("Please tick the box to confirm your answers.")},
    )


# The questionnaire takes ages up to 120 years: a patient accepted here is at most 118 today
# and so at most 120 at an appointment up to two years ahead.
MAX_AGE_YEARS = 118
MAX_DAYS_AHEAD = 2 * 366


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
    start = forms.ChoiceField(
        label=_("Questionnaire for a returning patient"),
        choices=(
            ("auto", _("Check-in if their last questionnaire is recent, otherwise the full one")),
            ("checkin", _("Check-in: confirm or change their earlier answers")),
            ("full", _("The full questionnaire, with their earlier answers filled in")),
        ),
        initial="auto",
        required=False,
        widget=forms.RadioSelect,
        help_text=_("A new patient always answers the full questionnaire."),
    )
    # Shown only after the desk was told the patient already has an intake that day.
    allow_same_day = forms.BooleanField(
        label=_("Yes, make a second intake for this patient on the same day"), required=False
    )

    def __init__(self, *args, **kwargs):
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
        today = timezone.localdate()  # the clinic's date, as the service checks it
        if value > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        # The questionnaire's age is 0 to 120 years; an older age would stop the patient at
        # "About you" with an error they cannot correct.
        if value.year < 1900 or today.year - value.year > MAX_AGE_YEARS:
            raise forms.ValidationError(_("Please check the year of birth."))
        return value

    def clean_appointment_date(self):
        # A date before the birth or decades ahead gives an age the questionnaire refuses,
        # so the patient could never finish; such a date is a typing slip.
        value = self.cleaned_data["appointment_date"]
        today = timezone.localdate()
        if value < today:
            raise forms.ValidationError(_("The appointment date is in the past."))
        if value > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(
                _("Please check the appointment date: it is more than two years away.")
            )
        return value

    def appointment_at(self):
        naive = datetime.datetime.combine(
            self.cleaned_data["appointment_date"], self.cleaned_data["appointment_time"]
        )
        return timezone.make_aware(naive)


class IntakeEditForm(forms.Form):
    """Front desk: move the appointment or change the practitioner (checked against the
    intake's version, so two desks cannot overwrite each other unseen)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    appointment_date = IntakeCreateForm.base_fields["appointment_date"]
    appointment_time = IntakeCreateForm.base_fields["appointment_time"]
    practitioner = IntakeCreateForm.base_fields["practitioner"]

    clean_appointment_date = IntakeCreateForm.clean_appointment_date
    appointment_at = IntakeCreateForm.appointment_at

    def __init__(self, *args, intake: Intake, **kwargs):
        when = timezone.localtime(intake.appointment_at)
        kwargs.setdefault(
            "initial",
            {
                "version": intake.version,
                "appointment_date": when.date(),
                "appointment_time": when.time().replace(second=0, microsecond=0),
                "practitioner": intake.practitioner,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = User.objects.filter(
            role=Role.PRACTITIONER, is_active=True
        ).order_by("last_name", "first_name", "username")
        self.fields["practitioner"].label_from_instance = lambda user: user.display_name()


class IntakeCancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Why is the appointment cancelled?"),
        help_text=_(
            "In plain words, for colleagues who open this intake later, for example “Patient "
            "called: moving to another clinic”."
        ),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please say why the appointment is cancelled.")},
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Please say why the appointment is cancelled."))
        return reason


# ---------------------------------------------------------------------------------------------
# Invitations by e-mail and text message

SEND_CHOICES = (
    ("email", _("Send by e-mail")),
    ("sms", _("Send by text message")),
    ("both", _("Send both")),
)


class InvitationSendForm(forms.Form):
    """The desk's "Send the link" card: the contact details on file (editable) and how to send.

    Each button posts ``send``. The number is checked when it is to be texted or was changed,
    so a number typed long ago never stops an e-mail.
    """

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        error_messages={"invalid": _("Enter an e-mail address like name@example.org.")},
    )
    mobile = forms.CharField(label=_("Mobile number"), max_length=50, required=False)
    send = forms.ChoiceField(
        choices=SEND_CHOICES,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose how to send the link."),
            "invalid_choice": _("Choose how to send the link."),
        },
    )
    # Set by the "Send anyway" button after the warning that the patient is answering now.
    replace_in_use = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mobile"].help_text = _(
            "Starting with 0, or with + and the country code (+%(code)s for this clinic's country)."
        ) % {"code": settings.SMS_COUNTRY_CODE}
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["mobile"].widget.attrs.update({"autocomplete": "off", "inputmode": "tel"})
        self.helper = FormHelper()
        self.helper.form_tag = False

    def channels(self) -> list[str]:
        choice = self.cleaned_data["send"]
        return ["email", "sms"] if choice == "both" else [choice]

    def clean_mobile(self):
        return " ".join(self.cleaned_data["mobile"].split())

    def clean(self):
        data = super().clean()
        choice = data.get("send")
        if choice is None:
            return data
        wanted = {"email", "sms"} if choice == "both" else {choice}
        if "email" in wanted and "email" not in self.errors and not data.get("email"):
            self.add_error("email", _("Enter the patient's e-mail address to send by e-mail."))
        mobile = data.get("mobile", "")
        if "sms" in wanted and not mobile:
            self.add_error("mobile", _("Enter the patient's mobile number to send a text message."))
        elif mobile and ("sms" in wanted or "mobile" in self.changed_data):
            try:
                sms.normalise_mobile(mobile)
            except sms.InvalidNumber:
                self.add_error(
                    "mobile",
                    _(
                        "This is not a mobile number a text message can go to. Write it starting "
                        "with 0, like 07700 900123, or with + and the country code, like "
                        "+44 7700 900123."
                    ),
                )
        return data


class MessageTemplatesForm(forms.ModelForm):
    """The clinic admin's message templates and reminder timing; each template is checked for
    unknown placeholders and a missing {link}."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ClinicSettings
        fields = (*ClinicSettings.MESSAGE_TEMPLATE_FIELDS, "reminder_hours_before")
        widgets = {
            "invitation_email_body": forms.Textarea(attrs={"rows": 13}),
            "reminder_email_body": forms.Textarea(attrs={"rows": 13}),
            "invitation_sms_body": forms.Textarea(attrs={"rows": 3}),
            "reminder_sms_body": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ClinicSettings.MESSAGE_TEMPLATE_FIELDS:
            self.fields[name].widget.attrs["spellcheck"] = "true"
        for name in ("invitation_email_body", "reminder_email_body"):
            self.fields[name].max_length = 3000
        for name in ("invitation_sms_body", "reminder_sms_body"):
            self.fields[name].max_length = 1000
        self.helper = FormHelper()
        self.helper.form_tag = False
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self):
        data = super().clean()
        for name, (_kind, channel, part) in messaging.TEMPLATE_PARTS.items():
            if name not in data:
                continue
            text = data[name].replace("\r\n", "\n")
            if part == "subject":
                text = text.strip()
            data[name] = text
            for error in messaging.template_errors(text, part=part):
                self.add_error(name, error)
            if channel == "sms" and name not in self.errors:
                sample = messaging.render(text, messaging.sample_values(self.instance, ""))
                if len(sample) > sms.MAX_BODY:
                    self.add_error(
                        name,
                        _("With a link in it, this text is longer than %(max)s characters.")
                        % {"max": sms.MAX_BODY},
                    )
        return data

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# ---------------------------------------------------------------------------------------------
# Practitioner review

CLINICIAN_CHOICES = (("", _("Not checked yet")), ("yes", _("Yes")), ("no", _("No")))


class VersionedForm(forms.Form):
    """Carries the intake version the page was built from, to detect conflicting saves."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PlanForm(VersionedForm):
    techniques = forms.MultipleChoiceField(
        label=_("Techniques"),
        choices=[(t.id, t.label) for t in regions.TECHNIQUES.values()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one technique.")},
    )
    regions = forms.MultipleChoiceField(
        label=_("Body regions to needle"),
        choices=[(r, r) for r in (*regions.REGIONS, *regions.ALIASES)],
        widget=RegionsWidget(attrs={"data-viewer": "staff"}),
        error_messages={"required": _("Choose at least one body region.")},
    )
    able_to_understand_and_decide = forms.ChoiceField(
        label=_(
            "Capacity check: the patient understands the procedure and can decide and report "
            "symptoms"
        ),
        choices=CLINICIAN_CHOICES,
        required=False,
    )
    qualified_interpreter_available = forms.ChoiceField(
        label=_("A qualified interpreter is available for this appointment"),
        choices=CLINICIAN_CHOICES,
        required=False,
    )

    CLINICIAN_FIELDS = {
        "able_to_understand_and_decide": "cognitive_impairment",
        "qualified_interpreter_available": "interpreter_needed",
    }

    def __init__(self, *args, relevant_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        for field, item_id in self.CLINICIAN_FIELDS.items():
            if item_id not in relevant_items:
                del self.fields[field]

    def clinician_answers(self) -> dict:
        answers: dict = {}
        for field, item_id in self.CLINICIAN_FIELDS.items():
            raw = self.cleaned_data.get(field)
            if raw in ("yes", "no"):
                answers[item_id] = {field: raw == "yes"}
        return answers


class ResolutionForm(VersionedForm):
    item = forms.CharField(widget=forms.HiddenInput, max_length=60)
    mitigation = forms.CharField(
        label=_("Mitigation applied"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    justification = forms.CharField(
        label=_("Clinical justification for overriding"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Printed on the consent instead of the rule's suggested patient wording; the mitigation
    # and justification above are for staff only and never reach the patient's consent.
    patient_wording = forms.CharField(
        label=_("Wording for the patient (printed on the consent)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Plain words the patient will read. Leave empty to use the suggested wording."),
    )


class DecisionForm(VersionedForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=Intake.Decision.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for 'not today' and 'refer'."),
    )


class ReopenForm(VersionedForm):
    reason = forms.CharField(
        label=_("Why reopen?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class QueueFilterForm(forms.Form):
    STATUS_CHOICES = (
        ("submitted", _("Awaiting review")),
        ("reviewed", _("Reviewed")),
        ("signed", _("Signed")),
        ("draft", _("Not sent yet")),
        ("all", _("All")),
    )
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    mine = forms.BooleanField(label=_("Only my patients"), required=False)
    outcome = forms.ChoiceField(
        label=_("Screening"),
        required=False,
        choices=(
            ("", _("Any")),
            ("contraindicated", _("Contraindicated")),
            ("precaution", _("Precaution")),
            ("clear", _("Clear")),
        ),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=STATUS_CHOICES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    q = forms.CharField(label=_("Patient name"), required=False, max_length=100)
    page = forms.IntegerField(
        required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput
    )


# ---------------------------------------------------------------------------------------------
# Consent signatures

FORM_TOKEN_REFUSED = _(
    "This page was out of date, so nothing was recorded. Please check it and send it again."
)


class FormTokenField(forms.UUIDField):
    """A one-time token, drawn into the page as a hidden field when the form is shown. The
    consent services store it on the consent they create, so the same POST sent twice (a
    double click or a double tap) records one consent and answers both alike.

    A POST without a readable token is refused, not taken as a new signing: without it the
    server cannot tell a repeat from a new signing, a refusal stores nothing, and a second
    signed consent is the very harm the token is there to stop. Only an altered page, or one
    drawn before tokens existed, lacks it; the page is drawn again with a fresh token (see
    ``bound_data``), so the next press works.
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(initial=uuid.uuid4, **kwargs)  # a callable: a new token per page

    def bound_data(self, data, initial):
        try:
            uuid.UUID(str(data))
        except ValueError:
            return initial
        return data


class OneTimeForm(forms.Form):
    """A form that carries a ``form_token``; a bad token is one message above the form."""

    form_token = FormTokenField()

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self._errors.pop("form_token", None):
            self.add_error(None, FORM_TOKEN_REFUSED)


class PatientSignForm(OneTimeForm):
    """The patient (or guardian) signs on the tablet; an interpreter signs when one was used."""

    signer_role = forms.ChoiceField(
        label=_("Who is signing?"),
        choices=(("patient", _("The patient")), ("guardian", _("A parent or legal guardian"))),
        widget=forms.RadioSelect,
    )
    signer_name = forms.CharField(label=_("Full name of the person signing"), max_length=200)
    guardian_relationship = forms.CharField(
        label=_("Relationship to the patient"), max_length=100, required=False
    )
    assent_words = forms.CharField(
        label=_("The young person's answer, in their own words"),
        help_text=_('Ask: "Are you happy to try this treatment?" and write down what they say.'),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=600_000)
    interpreter_name = forms.CharField(
        label=_("Interpreter's name"), max_length=200, required=False
    )
    interpreter_language = forms.CharField(label=_("Language"), max_length=100, required=False)
    interpreter_mode = forms.ChoiceField(
        label=_("How the interpreter took part"),
        choices=(
            ("", "—"),
            ("in_person", _("In person")),
            ("phone", _("By phone")),
            ("video", _("By video")),
        ),
        required=False,
    )
    interpreter_signature = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=600_000
    )

    def __init__(self, *args, minor: bool, interpreter: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.minor = minor
        self.interpreter = interpreter
        if not minor:
            del self.fields["assent_words"]
        if not interpreter:
            for name in (
                "interpreter_name",
                "interpreter_language",
                "interpreter_mode",
                "interpreter_signature",
            ):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("signer_role")
        if self.minor and role == "patient":
            self.add_error(
                "signer_role",
                _("For a patient under the age of consent, a parent or guardian signs."),
            )
        if role == "guardian" and not cleaned.get("guardian_relationship", "").strip():
            self.add_error(
                "guardian_relationship", _("Please say how you are related to the patient.")
            )
        if self.minor and not cleaned.get("assent_words", "").strip():
            self.add_error("assent_words", _("Please write down the young person's answer."))
        if self.interpreter:
            for name in ("interpreter_name", "interpreter_language", "interpreter_mode"):
                if not cleaned.get(name):
                    self.add_error(name, _("Please fill this in for the interpreter."))
        return cleaned


class PractitionerSignForm(forms.Form):
    consent_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=600_000)


class PaperConsentForm(OneTimeForm):
    signer_name = forms.CharField(
        label=_("Name of the person who signed the paper form"), max_length=200
    )
    confirm = forms.BooleanField(
        label=_(
            "I have checked that the printed consent was signed and dated by the patient (or "
            "guardian) and the practitioner, and filed it."
        ),
        error_messages={"required": _("Please confirm that you checked the signed paper form.")},
    )


class _StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class AuditFilterForm(forms.Form):
    """The audit trail's filters (all optional; GET, so a filtered view can be bookmarked)."""

    patient = forms.CharField(
        label=_("Patient name (or part of it)"), required=False, max_length=100
    )
    user = _StaffChoiceField(
        label=_("Staff member"),
        required=False,
        queryset=User.objects.order_by("username"),
        empty_label=_("Anyone"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    action = forms.ChoiceField(
        label=_("Action"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        from screening.audit_display import ACTION_LABELS

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [
            ("", _("Any")),
            *sorted(
                ((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda c: c[1]
            ),
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class IntakeExportForm(forms.Form):
    """The appointments to export as CSV: a date range, both ends included."""

    date_from = forms.DateField(
        label=_("Appointments from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Appointments to (included)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to",
                _(
                    "The end date is before the start date. Put the earlier date in "
                    "“Appointments from”."
                ),
            )
        return cleaned


class ApiTokenForm(forms.Form):
    """A new integration token: only its name, which says who uses it."""

    name = forms.CharField(
        label=_("Name of the integration"),
        max_length=100,
        help_text=_('The system that will use the token, for example "Practice EHR".'),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please give the integration a name."))
        return name


class PatientRecordSearchForm(forms.Form):
    """Find one patient by name and date of birth (sent by POST: never in a URL)."""

    full_name = forms.CharField(label=_("Patient's name (or part of it)"), max_length=200)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Please type at least two letters of the name."))
        return name


# ---------------------------------------------------------------------------------------------
# After the treatment (issue 18): the practitioner's record and adverse events, the calls, and
# the patient's 48-hour aftercare check


class TreatmentForm(forms.Form):
    """What was done at the appointment; the techniques and regions start as the plan."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    techniques = forms.MultipleChoiceField(
        label=_("Techniques used"),
        choices=[(t.id, t.label) for t in regions.TECHNIQUES.values()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one technique used.")},
    )
    regions = forms.MultipleChoiceField(
        label=_("Body regions treated"),
        choices=[(r, r) for r in (*regions.REGIONS, *regions.ALIASES)],
        widget=RegionsWidget(attrs={"data-viewer": "staff"}),
        error_messages={"required": _("Choose at least one body region treated.")},
    )
    treated_at = forms.DateTimeField(
        label=_("Treated at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter a date and time, like 2026-11-03 14:30.")},
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=1,
        max_value=240,
        error_messages={"required": _("Give the duration in minutes.")},
    )
    needle_count = forms.IntegerField(
        label=_("Number of needles (optional)"), required=False, min_value=1, max_value=200
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _adverse_type_choices():
    from screening.models import AdverseEvent

    significant = AdverseEvent.SIGNIFICANT_TYPES
    return [
        ("", _("Choose…")),
        (_("Mild"), [c for c in AdverseEvent.Type.choices if c[0] not in significant]),
        (_("Significant"), [c for c in AdverseEvent.Type.choices if c[0] in significant]),
    ]


class AdverseEventForm(forms.Form):
    type = forms.ChoiceField(
        label=_("What happened"),
        choices=_adverse_type_choices,
        error_messages={"required": _("Choose what happened.")},
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        widget=forms.RadioSelect,
        choices=[
            ("mild", _("Mild")),
            ("moderate", _("Moderate")),
            ("significant", _("Significant")),
        ],
        error_messages={"required": _("Choose how severe it was.")},
    )
    onset = forms.ChoiceField(
        label=_("When it started"),
        widget=forms.RadioSelect,
        choices=[
            ("during", _("During treatment")),
            ("within_24h", _("Within 24 hours")),
            ("later", _("Later")),
        ],
        error_messages={"required": _("Choose when it started.")},
    )
    duration = forms.CharField(
        label=_("How long it lasted (optional)"),
        required=False,
        max_length=100,
        help_text=_("For example “5 minutes” or “2 days”."),
    )
    action_taken = forms.CharField(
        label=_("Action taken (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    referred = forms.BooleanField(label=_("The patient was referred"), required=False)
    referred_to = forms.CharField(
        label=_("Referred to"),
        required=False,
        max_length=200,
        help_text=_("Needed when the patient was referred, e.g. “GP” or “emergency department”."),
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("referred") and not (cleaned.get("referred_to") or "").strip():
            self.add_error("referred_to", _("Say to whom the patient was referred."))
        return cleaned


class AftercareCallForm(forms.Form):
    note = forms.CharField(
        label=_("What was said and advised"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Please note what was said and advised.")},
    )


class DeskCallForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did the call go?"),
        widget=forms.RadioSelect,
        choices=[
            ("well", _("Spoke to the patient: no problems")),
            ("problem", _("Spoke to the patient: a practitioner should call back")),
            ("no_answer", _("No answer: try again later")),
        ],
        error_messages={"required": _("Choose how the call went.")},
    )
    note = forms.CharField(
        label=_("Note (what the patient said)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == "problem" and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Please note what the patient said, for the practitioner."))
        return cleaned


AFTERCARE_SYMPTOM_CHOICES = (
    (
        "short_of_breath",
        _("Short of breath, or pain in your chest or shoulder blade when you breathe in"),
    ),
    (
        "spreading_redness",
        _("Redness that is spreading, or heat or swelling, around a needle site"),
    ),
    ("fever", _("A fever, or feeling hot and shivery")),
    ("numbness", _("New numbness or weakness")),
    ("worse_pain", _("Your usual pain is worse")),
    ("headache", _("A headache")),
    ("tiredness", _("Feeling very tired or drowsy")),
    ("nausea", _("Feeling sick")),
    ("none", _("None of these")),
)


class AftercareCheckForm(forms.Form):
    """The patient's three questions two days after the treatment."""

    soreness = forms.IntegerField(
        label=_("How sore are the treated areas today?"),
        help_text=_("A number from 0 (not sore at all) to 10 (the worst you can imagine)."),
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 10}),
        error_messages={
            "required": _("Enter a number from 0 to 10."),
            "invalid": _("Enter a number from 0 to 10."),
            "min_value": _("Enter a number from 0 to 10."),
            "max_value": _("Enter a number from 0 to 10."),
        },
    )
    bruising = forms.ChoiceField(
        label=_("Do you have any bruises where the needles went in?"),
        choices=(("yes", _("Yes")), ("no", _("No"))),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose yes or no.")},
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Since your treatment, have you had any of these?"),
        help_text=_("Choose all that apply."),
        choices=AFTERCARE_SYMPTOM_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose any that apply, or “None of these”.")},
    )
    other_symptoms = forms.CharField(
        label=_("Anything else you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_symptoms(self):
        chosen = self.cleaned_data["symptoms"]
        if "none" in chosen and len(chosen) > 1:
            raise forms.ValidationError(
                _("You chose “None of these” and a symptom: choose one or the other.")
            )
        return [value for value in chosen if value != "none"]

"""Template helpers for presentation only (no clinical judgement here)."""

from django import forms, template

register = template.Library()


@register.filter
def error_anchor(bound_field) -> str:
    """The id an error-summary link should jump to: the first option of a choice group."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id or bound_field.html_name


@register.simple_tag
def patient_input(bound_field):
    """A text or number field's input, described by its hint and its error (if any)."""
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}_helptext")
    if bound_field.errors:
        described.append(f"{bound_field.auto_id}_error")
    attrs = {"class": "form-control" + (" is-invalid" if bound_field.errors else "")}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)

"""One question on a patient page, as HTML built in Python.

A wizard step renders many questions, each with its follow-ups; rendering each through an
included template was about a third of a step's CPU (issue 20). The markup is the one that
template wrote: a choice question is a fieldset whose legend is the question itself, each option
a full-width row with its label inside the tap target (yes/no: two large buttons side by side);
a text or number question is a label and its input. With ``heading``, the question is the
page's h1 (a one-question page).
"""

from __future__ import annotations

from html import escape

from django import forms
from django.template.loader import render_to_string
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

CHOICE_KINDS = frozenset({"yesno", "choice", "multi"})


def _text(value) -> str:
    """Escaped text; text already marked safe stays as it is (as ``conditional_escape``)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _hint(bf) -> SafeString | str:
    if not bf.help_text:
        return ""
    return format_html('<p class="q-hint" id="{}_helptext">{}</p>', bf.auto_id, bf.help_text)


def _error(bf) -> SafeString | str:
    if not bf.errors:
        return ""
    return format_html('<p class="q-error" id="{}_error">{}</p>', bf.auto_id, " ".join(bf.errors))


def _selected(bf) -> set[str]:
    value = bf.value()
    if value is None:
        return set()
    if not isinstance(value, list | tuple):
        value = [value]
    return {"" if v is None else str(v) for v in value}


def _options(bf) -> SafeString:
    """The options' rows. Plain string formatting, each value escaped once with the standard
    library's ``html.escape`` (what Django's ``escape`` calls): a step holds dozens of options,
    and ``format_html`` per option cost more than the rest of the field."""
    multiple = isinstance(bf.field.widget, forms.CheckboxSelectMultiple)
    input_type = "checkbox" if multiple else "radio"
    selected = _selected(bf)
    name = escape(bf.html_name)
    auto_id = escape(bf.auto_id)
    rows = []
    for index, (value, label) in enumerate(bf.field.choices):
        value = str(value)
        checked = " checked" if value in selected else ""
        option_id = f"{auto_id}_{index}"
        rows.append(
            '    <div class="choice">\n'
            f'      <input class="choice-input" type="{input_type}" name="{name}" '
            f'value="{escape(value)}" id="{option_id}"{checked}>\n'
            f'      <label class="choice-label" for="{option_id}">{_text(label)}</label>\n'
            "    </div>"
        )
    # Every value above was escaped where it was placed.
    return mark_safe("\n".join(rows))  # noqa: S308


def _choice_field(bf, kind: str, heading: bool) -> SafeString:
    auto_id = bf.auto_id
    described = ""
    if bf.help_text or bf.errors:
        described = format_html(
            ' aria-describedby="{}{}"',
            f"{auto_id}_helptext" if bf.help_text else "",
            f" {auto_id}_error" if bf.errors else "",
        )
    legend = (
        format_html('<h1 class="q-heading">{}</h1>', bf.label)
        if heading
        else conditional_escape(bf.label)
    )
    return format_html(
        '<fieldset class="q-field{}" id="{}"{}>\n  <legend class="q-legend">{}</legend>\n'
        '  {}\n  {}\n  <div class="choices{}">\n{}\n  </div>\n</fieldset>',
        " q-field-error" if bf.errors else "",
        auto_id,
        described,
        legend,
        _hint(bf),
        _error(bf),
        " choices-yesno" if kind == "yesno" else "",
        _options(bf),
    )


def _attrs(attrs: dict) -> str:
    """Django's ``attrs.html``: `` name="value"``, a bare name for True, nothing for False."""
    return "".join(
        f" {escape(str(name))}" if value is True else f' {escape(str(name))}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _widget_html(bf, attrs: dict) -> SafeString:
    """A text input or text area exactly as Django's ``input.html`` and ``textarea.html`` write
    it (the context comes from the widget itself), without a template render per field; any
    other widget through its template."""
    widget = bf.field.widget
    if type(widget) not in (forms.TextInput, forms.Textarea):
        return bf.as_widget(attrs=attrs)
    if bf.field.localize:
        widget.is_localized = True
    attrs = bf.build_widget_attrs(attrs, widget)
    if bf.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bf.auto_id)
    context = widget.get_context(bf.html_name, bf.value(), attrs)["widget"]
    name, value = escape(context["name"]), context["value"]
    if isinstance(widget, forms.Textarea):
        text = _text(value) if value else ""
        html = f'<textarea name="{name}"{_attrs(context["attrs"])}>\n{text}</textarea>'
    else:
        shown = "" if value is None else f' value="{escape(str(value))}"'
        html = f'<input type="{context["type"]}" name="{name}"{shown}{_attrs(context["attrs"])}>'
    # Every value above was escaped where it was placed.
    return mark_safe(html)  # noqa: S308


def text_input(bf) -> SafeString:
    """A text or number field's input, described by its hint and its error (if any)."""
    described = []
    if bf.help_text:
        described.append(f"{bf.auto_id}_helptext")
    if bf.errors:
        described.append(f"{bf.auto_id}_error")
    attrs = {"class": "form-control" + (" is-invalid" if bf.errors else "")}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if bf.errors:
        attrs["aria-invalid"] = "true"
    return _widget_html(bf, attrs)


def _text_field(bf, kind: str, heading: bool) -> SafeString:
    label = format_html('<label class="q-legend" for="{}">{}</label>', bf.id_for_label, bf.label)
    if heading:
        label = format_html('<h1 class="q-heading">{}</h1>', label)
    return format_html(
        '<div class="q-field{}">\n  {}\n  {}\n  {}\n  <div class="{}">{}</div>\n</div>',
        " q-field-error" if bf.errors else "",
        label,
        _hint(bf),
        _error(bf),
        "q-number" if kind == "number" else "",
        text_input(bf),
    )


def field_html(bf, kind: str, heading: bool = False) -> SafeString:
    """One question with its hint and error: choices as a fieldset, text as a label and input."""
    if kind in CHOICE_KINDS:
        return _choice_field(bf, kind, heading)
    return _text_field(bf, kind, heading)


def _block_heading(block, single: bool) -> SafeString | str:
    """An item asked through one of its follow-ups: the question, its hint, and the patient's
    age on the day for the age question."""
    if block["main"] is not None:
        return field_html(block["main"], block["main_kind"], single)
    if block["asked_by_follow_up"]:
        return ""
    question = (
        format_html('<h1 class="q-heading">{}</h1>', block["question"])
        if single
        else format_html('<p class="q-legend">{}</p>', block["question"])
    )
    help_text = block["item"].help
    hint = format_html('<p class="q-hint">{}</p>', help_text) if help_text else ""
    age = ""
    if block["age_years"] is not None:
        age = format_html(
            "<p>{}</p>",
            format_html(
                _("Your age on the day of your appointment: <strong>{}</strong>"),
                block["age_years"],
            ),
        )
    return format_html("{}\n      {}\n      {}", question, hint, age)


def _follow_up(fu, single: bool) -> SafeString:
    if fu["kind"] == "regions":
        inner = render_to_string("screening/patient/_regions_field.html", {"bf": fu["field"]})
    else:
        inner = field_html(fu["field"], fu["kind"], bool(fu["asks_item"] and single))
    return format_html(
        '    <div class="follow-up{}" data-when="{}" data-field="{}"{}>\n      {}\n    </div>',
        "" if fu["asks_item"] else " follow-up-nested",
        fu["when"],
        fu["field"].html_name,
        "" if fu["visible"] else mark_safe(" hidden"),  # noqa: S308 (a constant)
        inner,
    )


def blocks_html(blocks: list[dict], single: bool) -> SafeString:
    """The questions of one wizard page (``StepForm.display_blocks()``), each item with its
    follow-ups; JavaScript shows and hides the follow-ups by their ``data-when``."""
    parts = []
    for number, block in enumerate(blocks, start=1):
        follow_ups = [_follow_up(fu, single) for fu in block["follow_ups"]]
        parts.append(
            format_html(
                '  <div class="q-item" id="item-{}" data-item data-derived="{}">\n'
                "      {}\n{}\n  </div>",
                number,
                block["derived_json"],
                _block_heading(block, single),
                mark_safe("\n".join(follow_ups)),  # noqa: S308 (each built by format_html)
            )
        )
    return mark_safe("\n".join(parts))  # noqa: S308 (each built by format_html)

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
def patient_blocks(blocks, single):
    """The questions of one wizard page (screening/patient_markup.py)."""
    from screening.patient_markup import blocks_html

    return blocks_html(blocks, single)


@register.filter(name="plain_words")
def plain_words_filter(text):
    """Region, technique and item ids in a text replaced by their labels (see wording.py)."""
    from screening.wording import plain_words

    return plain_words(text)


@register.filter
def item_title(item_id):
    from screening.wording import item_title as title

    return title(item_id)


@register.filter
def answer_label(item_id):
    """The short label staff read beside an answer ("Blood-thinning medicine")."""
    from screening.engine import questionnaire

    return questionnaire.ANSWER_LABELS.get(item_id, item_id)


@register.filter
def level_words(level):
    """A flag level in words ("absolute" -> "Absolute contraindication")."""
    from screening.review_display import LEVEL_WORDS

    return LEVEL_WORDS.get(level, level)

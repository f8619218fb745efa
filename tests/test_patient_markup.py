"""The patient pages' questions, built in Python (screening/patient_markup.py)."""

from django import forms

from screening.patient_markup import field_html


class _Form(forms.Form):
    choice = forms.ChoiceField(
        label="Do you take <b>blood thinners</b>?",
        help_text="Tablets & injections",
        choices=[("yes", "Yes"), ("no", 'No "really"')],
        widget=forms.RadioSelect,
    )
    many = forms.MultipleChoiceField(
        label="Which?", choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
    )
    number = forms.IntegerField(label="How many?", help_text="A whole number")


def test_a_choice_is_a_fieldset_whose_legend_is_the_question_with_escaped_text():
    form = _Form(data={"choice": "no"})
    html = field_html(form["choice"], "yesno", heading=True)

    assert '<fieldset class="q-field" id="id_choice" aria-describedby="id_choice_helptext">' in html
    assert '<legend class="q-legend"><h1 class="q-heading">Do you take &lt;b&gt;' in html
    assert '<p class="q-hint" id="id_choice_helptext">Tablets &amp; injections</p>' in html
    assert 'type="radio" name="choice" value="no" id="id_choice_1" checked>' in html
    assert 'value="yes" id="id_choice_0">' in html
    assert '<label class="choice-label" for="id_choice_1">No &quot;really&quot;</label>' in html
    assert "choices-yesno" in html


def test_an_answer_with_a_mistake_is_described_by_its_error():
    form = _Form(data={"choice": "maybe", "many": ["a", "b"], "number": "x"})
    form.is_valid()

    choice = field_html(form["choice"], "choice")
    assert 'aria-describedby="id_choice_helptext id_choice_error"' in choice
    assert "q-field-error" in choice and 'id="id_choice_error"' in choice
    many = field_html(form["many"], "multi")
    assert many.count('type="checkbox"') == 2 and many.count(" checked") == 2
    number = field_html(form["number"], "number")
    assert '<label class="q-legend" for="id_number">How many?</label>' in number
    assert 'aria-describedby="id_number_helptext id_number_error"' in number
    assert 'aria-invalid="true"' in number and '<div class="q-number">' in number


def test_text_inputs_are_written_as_djangos_own_widget_templates_write_them():
    """The inputs are built without a template; they must be what the widget renders."""
    from screening.patient_markup import _widget_html

    class Form(forms.Form):
        text = forms.CharField(
            max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
        )
        area = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
        empty = forms.CharField(required=False)

    attrs = {"class": "form-control", "aria-describedby": "x_helptext"}
    for data in ({"text": '1.5 "<b>"', "area": "a & b\nline"}, {}, {"text": "", "area": ""}):
        form = Form(data=data or None)
        form.is_valid()
        for name in ("text", "area", "empty"):
            bf = form[name]
            assert _widget_html(bf, attrs) == bf.as_widget(attrs=attrs), (name, data)

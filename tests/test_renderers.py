"""The form renderer writes a <select> as Django's templates do (how much faster: `make bench`'s page times)."""

import re

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from salesplan.renderers import FormRenderer


def _same(html: str) -> str:
    """Whitespace between tags does not matter to a browser."""
    return re.sub(r">\s+<", "><", html.strip())


class Pick(forms.Form):
    one = forms.ChoiceField(choices=[("", "---------"), ("a", "A & B"), ("b", 'Say "hi"'), (3, "<three>")])
    grouped = forms.ChoiceField(
        choices=[("North", [("n1", "Lille"), ("n2", "Rouen")]), ("South", [("s1", "Nice")]), ("x", "Alone")]
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two"), ("3", "Three")], required=False)
    attrs = forms.ChoiceField(
        choices=[("a", mark_safe("<b>safe</b>"))],
        widget=forms.Select(
            attrs={"class": "form-select", "data-x": 'q"uote', "disabled": True, "hidden": False}
        ),
    )


def test_a_select_is_written_as_djangos_templates_write_it():
    form = Pick(data={"one": "b", "grouped": "n2", "many": ["1", "3"], "attrs": "a"})
    for name in ("one", "grouped", "many", "attrs"):
        field = form[name]
        form.renderer = FormRenderer()
        ours = field.as_widget()
        form.renderer = DjangoTemplates()
        theirs = field.as_widget()
        assert _same(ours) == _same(theirs), name
    form.renderer = None  # the settings' renderer is ours
    html = form["one"].as_widget()
    assert '<option value="b" selected>Say &quot;hi&quot;</option>' in html
    assert "&lt;three&gt;" in html and "A &amp; B" in html

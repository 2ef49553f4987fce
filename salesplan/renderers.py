"""The form renderer: Django's own, except that a <select> is written out here rather than through a template
include per <option>.

Django renders every option of a select from django/forms/widgets/select_option.html; a filter bar's owner
list at bank scale (600 people) took most of an account list's time that way (`make bench`'s page times;
tests/test_renderers.py checks the HTML is the same as Django's templates write). Selects whose options
use another template, and every other widget, go through the templates as before.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    """What `{{ value|stringformat:'s' }}` writes: the value as text, escaped unless already safe."""
    return conditional_escape(value if isinstance(value, SafeString) else str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: True writes the bare name, False leaves the attribute out."""
    return "".join(
        f" {name}" if value is True else f' {name}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def render_select(widget: dict) -> SafeString:
    """django/forms/widgets/select.html and select_option.html for the context Django gives them."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        parts.extend(
            f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
            f"{conditional_escape(option['label'])}</option>"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class FormRenderer(DjangoTemplates):
    """Settings' FORM_RENDERER: Django's template renderer with `render_select` for plain selects."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if (
            template_name == SELECT
            and widget is not None
            and all(
                o["template_name"] == OPTION for _name, options, _i in widget["optgroups"] for o in options
            )
        ):
            return render_select(widget)
        return super().render(template_name, context, request=request)

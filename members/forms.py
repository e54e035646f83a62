"""Forms of the portal's pages for countries and participations, and the base every page form
uses (members is the app every other may import from)."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import CheckConstraint, F, Q
from django.db.models.constants import LOOKUP_SEP

from .models import Country, Participation


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PortalModelForm(forms.ModelForm):
    """A model form styled for Bootstrap that validates like the database.

    - `fixed_fields` are set by the view (the parent a record is created under) rather than
      typed in: they still take part in model validation, so a unique or check constraint
      spanning them is a form error, never an IntegrityError.
    - Errors about a field the form does not show go to the form's own errors.
    - A field with errors gets `is-invalid` (Django adds aria-invalid and aria-describedby).
    """

    fixed_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() - set(self.fixed_fields)

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            moved = {}
            for field, messages in errors.error_dict.items():
                key = field if field in self.fields or field == NON_FIELD_ERRORS else None
                moved.setdefault(key or NON_FIELD_ERRORS, []).extend(messages)
            errors = ValidationError(moved)
        super()._update_errors(errors)

    def _post_clean(self):
        super()._post_clean()
        self._attach_check_errors()

    def _attach_check_errors(self):
        """A check constraint's message belongs next to the field it is about, not on top."""
        general = list(self._errors.get(NON_FIELD_ERRORS, [])) if self._errors else []
        if not general:
            return
        for constraint in self._meta.model._meta.constraints:
            message = str(constraint.get_violation_error_message())
            if not isinstance(constraint, CheckConstraint) or message not in general:
                continue
            general = [m for m in general if m != message]
            named = [
                name for name in _condition_fields(constraint.condition) if name in self.fields
            ]
            shown = {
                m
                for name, errors in self._errors.items()
                if name != NON_FIELD_ERRORS
                for m in errors
            }
            if named and message not in shown:
                self._errors.setdefault(named[0], self.error_class()).append(message)
                self.cleaned_data.pop(named[0], None)
        if general:
            self._errors[NON_FIELD_ERRORS] = self.error_class(general, error_class="nonfield")
        else:
            del self._errors[NON_FIELD_ERRORS]

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def _condition_fields(condition) -> list[str]:
    """The fields a Q condition names, in order of appearance."""
    names = []
    for child in condition.children:
        if isinstance(child, Q):
            names.extend(_condition_fields(child))
            continue
        lookup, value = child
        names.append(lookup.split(LOOKUP_SEP)[0])
        if isinstance(value, F):
            names.append(value.name)
    return list(dict.fromkeys(names))


class CountryForm(PortalModelForm):
    class Meta:
        model = Country
        fields = ["code", "name"]

    def clean_code(self):
        return self.cleaned_data["code"].strip()


class ParticipationForm(PortalModelForm):
    fixed_fields = ("country",)

    class Meta:
        model = Participation
        fields = ["kind", "since", "until", "source", "note"]
        widgets = {"since": DateInput(), "until": DateInput()}

"""Forms of the portal's pages for countries and participations, and the base every page form
uses (members is the app every other may import from)."""

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import CheckConstraint, F, Q
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _

from .models import Country, Participation, Role, User
from .services import user_password_change


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
    # A check constraint's message goes next to the first field it names that the form shows,
    # unless named here: {constraint name: field}.
    check_error_fields: dict[str, str] = {}

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

    # A service's error about a field the form calls otherwise: {service's name: form's name}.
    service_error_fields: dict[str, str] = {}

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() - set(self.fixed_fields)

    def add_service_errors(self, error: ValidationError) -> None:
        """A service refused the change: its errors go next to the fields they are about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            name = self.service_error_fields.get(field, field)
            self.add_error(name if name in self.fields else None, errors)
        self._mark_invalid()

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            moved = {}
            for field, messages in errors.error_dict.items():
                key = field if field in self.fields or field == NON_FIELD_ERRORS else None
                for message in messages:
                    target = self._unique_field(message) or key or NON_FIELD_ERRORS
                    moved.setdefault(target, []).append(message)
            errors = ValidationError(moved)
        super()._update_errors(errors)

    def _unique_field(self, error) -> str | None:
        """A rule "unique per parent" (a number within its plan) is about the one field of it
        the form shows: its message goes there rather than on top of the form."""
        params = getattr(error, "params", None) or {}
        if getattr(error, "code", None) != "unique_together" or "unique_check" not in params:
            return None
        shown = [name for name in params["unique_check"] if name in self.fields]
        return shown[0] if len(shown) == 1 else None

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
            if self.check_error_fields.get(constraint.name) in self.fields:
                named.insert(0, self.check_error_fields[constraint.name])
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
        self._mark_invalid()

    def _mark_invalid(self):
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
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


# --- Users --------------------------------------------------------------------------------------


class UserForm(PortalModelForm):
    """An account's details. The role decides what the person may do; a focal point has the
    country it represents, no other role has one (the model's constraint says so)."""

    check_error_fields = {"user_country_iff_focal_point": "country"}

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "country"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].queryset = Country.objects.order_by("name")
        self.fields["role"].help_text = _(
            "Secretariat staff edit every record; a focal point reports for its country; "
            "an analyst reads."
        )
        for name in ("username", "first_name", "last_name", "email"):
            # Someone else's account: the browser must not fill in the secretariat's own.
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class NewPasswordMixin:
    """A new password typed twice, checked by Django's password validators (settings) against
    the account it is for. The service stores it hashed; nothing shows it again."""

    service_error_fields = {"password": "password1"}

    def add_password_fields(self):
        attrs = {"autocomplete": "new-password", "class": "form-control"}
        self.fields["password1"] = forms.CharField(
            label=_("Password"),
            strip=False,
            widget=forms.PasswordInput(attrs=attrs),
            help_text=password_validation.password_validators_help_text_html(),
        )
        self.fields["password2"] = forms.CharField(
            label=_("Password again"),
            strip=False,
            widget=forms.PasswordInput(attrs=attrs),
            help_text=_("The same password, to rule out a typing mistake."),
        )

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError(_("The two passwords differ."), code="password_mismatch")
        return second

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password2") and self.cleaned_data.get("password1")
        if password and "password1" not in self._errors:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)

    @property
    def password(self) -> str:
        return self.cleaned_data["password1"]


class UserCreateForm(UserForm):
    """A new account, without a password: its owner chooses one through the invitation emailed
    to the address given here (members.invitations), in the language chosen here."""

    class Meta(UserForm.Meta):
        fields = [*UserForm.Meta.fields, "email_language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # As in the API, a new account's role is chosen on purpose, never left to a default.
        role = self.fields["role"]
        role.choices = [("", "---------"), *Role.choices]
        role.initial = None
        self.initial.pop("role", None)
        email = self.fields["email"]
        email.required = True
        email.help_text = _("The invitation to choose a password is sent here.")
        language = self.fields["email_language"]
        language.required = False  # English unless chosen
        language.help_text = _("The invitation and every later email are written in it.")

    def clean_email_language(self) -> str:
        return self.cleaned_data["email_language"] or self.instance.email_language


class UserPasswordForm(NewPasswordMixin, PortalModelForm):
    """A new password for an existing account."""

    class Meta:
        model = User
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_password_fields()


class SecondFactorForm(forms.Form):
    """The six digits the authenticator app shows, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).lower()
        if not code.isalnum() or not code.isascii():
            raise ValidationError(_("Enter the digits the app shows, or a recovery code."))
        return code


class PreferencesForm(PortalModelForm):
    """What reaches a person's inbox, on their own account page. The digest of missed
    obligations is the secretariat's, so only they are offered it."""

    class Meta:
        model = User
        fields = ["email_delivery", "email_language", "missed_digest"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.role != Role.SECRETARIAT:
            del self.fields["missed_digest"]

    def changes(self) -> dict:
        """Only what the person changed: the service records it, the page says it."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


# --- A person's own password ---------------------------------------------------------------------


class PortalFormStyle:
    """Bootstrap's classes on a plain form's fields (Django's own sign-in forms), as
    PortalModelForm puts them on model forms, and `is-invalid` on a field with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] = "form-control is-invalid"


class PasswordResetRequestForm(PortalFormStyle, auth_forms.PasswordResetForm):
    """The address to send a reset link to. The view never says whether it is an account's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autofocus"] = True


class OwnPasswordSave:
    """Saved through members.services (validators, history, the tokens' revocation), with the
    reason the history gives."""

    reason = "password changed"

    def save(self, commit=True) -> User:
        # The account as saved: the session's hash is made from its new password next.
        self.user = user_password_change(
            user=self.user,
            actor=self.user,
            password=self.cleaned_data["new_password1"],
            reason=self.reason,
        )
        return self.user


class PasswordSetForm(OwnPasswordSave, PortalFormStyle, auth_forms.SetPasswordForm):
    """A new password typed twice, where a link sent by email stood in for the old one."""

    def __init__(self, user, *args, reason: str = "password set by a link", **kwargs):
        super().__init__(user, *args, **kwargs)
        self.reason = reason


class PasswordChangeForm(OwnPasswordSave, PortalFormStyle, auth_forms.PasswordChangeForm):
    """One's own password, on one's account page: the old one, then the new one twice.

    The old password is checked as a sign-in is (django-axes counts a wrong one, and locks the
    account after as many as a sign-in would), so a session left open cannot be used to guess
    it. `request` is the one the failure is counted for."""

    def __init__(self, user, *args, request=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        if (
            authenticate(self.request, username=self.user.get_username(), password=old_password)
            is None
        ):
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password

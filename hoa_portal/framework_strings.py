"""Django's own strings that the portal's pages show, so that our catalogues carry them.

Django ships no Pashto catalogue (nor do DRF and django-filter): on a Pashto page a form error
such as "This field is required." would stay English. Listing Django's msgids here puts them in
locale/ps, which Django reads before its own catalogues, so they read in Pashto. locale/fa
carries them too, with the text of Django's own Persian catalogue, so Dari pages read as before.

Only what a page shows is listed (found by rendering the pages and their forms' errors): field
errors, the sign-in and password forms (theirs and the validators' messages), the account's
field names, and Django's page for a refused CSRF check. The API's messages (DRF's) stay
English in Pashto, as the API answers English unless asked. Nothing imports this module:
makemessages reads it. A msgid must be Django's exactly, typographic quotes included, or it
would not be found.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

# django.forms and django.core.validators: the errors of a form's fields.
FORM_ERRORS = [
    gettext_noop("This field is required."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    gettext_noop("No file was submitted. Check the encoding type on the form."),
    gettext_noop("The submitted file is empty."),
]

# django.db.models: a model's validation, as a model form reports it.
MODEL_ERRORS = [
    gettext_noop("%(model_name)s with this %(field_label)s already exists."),
    gettext_noop("Value %(value)r is not a valid choice."),
    gettext_noop("This field cannot be null."),
]

# django.forms.NullBooleanSelect, a yes/no field left open.
CHOICES = [
    gettext_noop("Unknown"),
    gettext_noop("Yes"),
    gettext_noop("No"),
]

# django.contrib.auth: the account's fields (labels of the user form, and the names the
# similarity validator and the sign-in error put in their messages) and their errors.
ACCOUNT_FIELDS = [
    gettext_noop("username"),
    gettext_noop("first name"),
    gettext_noop("last name"),
    gettext_noop("email address"),
    gettext_noop("users"),
    gettext_noop("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
    gettext_noop(
        "Enter a valid username. This value may contain only letters, numbers, and "
        "@/./+/-/_ characters."
    ),
    gettext_noop("A user with that username already exists."),
]

# django.contrib.auth.forms: signing in, setting and changing one's password.
SIGN_IN_AND_PASSWORD_FORMS = [
    gettext_noop(
        "Please enter a correct %(username)s and password. Note that both fields may be "
        "case-sensitive."
    ),
    gettext_noop("Old password"),
    gettext_noop("New password"),
    gettext_noop("New password confirmation"),
    gettext_noop("Enter the same password as before, for verification."),
    gettext_noop("The two password fields didn’t match."),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
]

# django.contrib.auth.password_validation (settings.AUTH_PASSWORD_VALIDATORS): what each
# validator asks for (the help text under a new password) and its refusal.
PASSWORD_VALIDATORS = [
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    # The msgid Django asks for (%d): its Persian catalogue has only an older one, with
    # %(min_length)d, so the Dari text is that one's.
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        8,
    ),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("This password is entirely numeric."),
]

# django.views.csrf: the page a form sent without its CSRF token (an expired page) gets.
CSRF_FAILURE = [
    gettext_noop("Forbidden"),
    gettext_noop("CSRF verification failed. Request aborted."),
    gettext_noop(
        "You are seeing this message because this HTTPS site requires a “Referer header” to "
        "be sent by your web browser, but none was sent. This header is required for security "
        "reasons, to ensure that your browser is not being hijacked by third parties."
    ),
    gettext_noop(
        "If you have configured your browser to disable “Referer” headers, please re-enable "
        "them, at least for this site, or for HTTPS connections, or for “same-origin” "
        "requests."
    ),
    gettext_noop(
        'If you are using the <meta name="referrer" content="no-referrer"> tag or '
        "including the “Referrer-Policy: no-referrer” header, please remove them. The CSRF "
        "protection requires the “Referer” header to do strict referer checking. If you’re "
        'concerned about privacy, use alternatives like <a rel="noreferrer" …> for links to '
        "third-party sites."
    ),
    gettext_noop(
        "You are seeing this message because this site requires a CSRF cookie when submitting "
        "forms. This cookie is required for security reasons, to ensure that your browser is "
        "not being hijacked by third parties."
    ),
    gettext_noop(
        "If you have configured your browser to disable cookies, please re-enable them, at "
        "least for this site, or for “same-origin” requests."
    ),
    gettext_noop("More information is available with DEBUG=True."),
]

"""Month names as Afghanistan writes them in Dari.

Django's own Persian catalogue has the Iranian forms (ژانویه، دسامبر); Afghans write جنوری،
دسمبر. Listing Django's msgids here puts them in our catalogue (locale/fa), which Django reads
before its own, so every date the portal formats ("9 Dec 2015", "9 December 2015") reads as an
Afghan would write it. Nothing imports this module: makemessages reads it.
"""

from django.utils.translation import gettext_noop, pgettext_lazy

# django.utils.dates.MONTHS (date format "F")
MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]

# django.utils.dates.MONTHS_3 (date format "M", as the portal shows dates)
MONTHS_3 = [
    gettext_noop("jan"),
    gettext_noop("feb"),
    gettext_noop("mar"),
    gettext_noop("apr"),
    gettext_noop("may"),
    gettext_noop("jun"),
    gettext_noop("jul"),
    gettext_noop("aug"),
    gettext_noop("sep"),
    gettext_noop("oct"),
    gettext_noop("nov"),
    gettext_noop("dec"),
]

# django.utils.dates.MONTHS_ALT (date format "E")
MONTHS_ALT = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]

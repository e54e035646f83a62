"""Pashto dates as Afghanistan writes them: "9 دسمبر 2015", the Gregorian month named as in
Kabul (the names come from locale/ps, see hoa_portal/month_names.py).

Modelled on Django's Persian formats (django/conf/locale/fa/formats.py), Afghanistan's other
official language: day first, a 24-hour clock, the week starting on Saturday. Formats use
Django's date syntax; input stays the browser's YYYY-MM-DD (Django's default input formats).
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "G:i"
DATETIME_FORMAT = "j F Y، G:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y/n/j"
SHORT_DATETIME_FORMAT = "Y/n/j، G:i"
FIRST_DAY_OF_WEEK = 6  # Saturday

# A decimal point and a thousands comma, as the Dari pages write numbers.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","

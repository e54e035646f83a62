"""Date and number formats for the languages Django has none for (settings.FORMAT_MODULE_PATH).

Django looks here first, then in its own django/conf/locale/<language>/formats.py, so a language
Django already formats (fa) is left to Django.
"""

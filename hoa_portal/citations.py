"""Sources as a reader cites them. Records name the documents their facts come from by file
(`hoa-ip-about.txt; study.txt: observer status in 2012`, as cbms.records.hoa_data writes them,
and spreadsheets export them); pages show each file as its title, publisher and date.

A template filter for every template (settings TEMPLATES "builtins"): `{{ p.source|cited }}`.
"""

import re

from django import template

CITATIONS = {
    "atr-2016-security-cooperation-study.txt": (
        "Study on Security Cooperation in the Heart of Asia Region, ATR Consulting, 18 July 2016"
    ),
    "ewi-2010-central-asian-security.txt": (
        "Central Asian Security: Two Recommendations for International Action, "
        "EastWest Institute, 26 April 2010"
    ),
    "hoa-ip-about.txt": "About the Heart of Asia – Istanbul Process, the process's own page",
    "istanbul-process-encyclopedia-article.txt": "“Istanbul Process”, encyclopedia article",
}
FILE_NAME = re.compile(r"[\w.-]+\.txt\b")

register = template.Library()


@register.filter
def cited(source: str) -> str:
    """The source with each document file it names written as its citation; a file the table
    does not know, and any other text, as written."""
    return FILE_NAME.sub(lambda found: CITATIONS.get(found[0], found[0]), source or "")

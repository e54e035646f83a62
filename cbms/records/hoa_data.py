"""The real data of the Heart of Asia – Istanbul Process, as plain Python facts.

Every fact is taken from the source documents in /work/shared/sources/ (SPEC §2) and carries the
name of the file it comes from. Nothing is invented: where the sources do not establish a value
(the day a supporting country joined, the day an implementation plan was adopted, the city of the
ninth conference), the field is left empty, and an empty value never overwrites what the
secretariat has recorded since. `cbms.records.loading.load_hoa_data` writes these facts to the
database.

Read it table by table against SPEC §2.
"""

from dataclasses import dataclass
from datetime import date

ABOUT = "hoa-ip-about.txt"
ARTICLE = "istanbul-process-encyclopedia-article.txt"
STUDY = "atr-2016-security-cooperation-study.txt"


def cite(*files: str, detail: str = "") -> str:
    """A `source` text: the files, then what in them, e.g. "study.txt: observer status in 2012"."""
    text = "; ".join(files)
    return f"{text}: {detail}" if detail else text


# --- Countries and their participation --------------------------------------------------------

PARTICIPATING = "participating"
SUPPORTING = "supporting"

LAUNCH = date(2011, 11, 2)  # Istanbul, by Afghanistan and Turkey (hoa-ip-about.txt)


@dataclass(frozen=True)
class CountryFact:
    code: str  # ISO 3166-1 alpha-3
    name: str  # English short name
    kind: str  # PARTICIPATING or SUPPORTING
    since: date | None  # None: the sources do not say when the country joined
    source: str
    note: str = ""


_PARTICIPATING_SOURCE = cite(
    ARTICLE,
    STUDY,
    detail="member countries (infobox); the participating states the study lists",
)
_FOUNDER_SOURCE = cite(
    ABOUT,
    ARTICLE,
    detail="initiative of Afghanistan and Turkey, launched in Istanbul on 2 November 2011",
)
_SUPPORTING_SOURCE = cite(
    ARTICLE,
    STUDY,
    detail="supporting countries (article); supporting states and bodies (study, footnote 10)",
)

COUNTRIES: tuple[CountryFact, ...] = (
    # The fifteen participating countries. Only the two founders are known to have taken part
    # from the launch; for the others the sources give no start date.
    CountryFact("AFG", "Afghanistan", PARTICIPATING, LAUNCH, _FOUNDER_SOURCE),
    CountryFact("AZE", "Azerbaijan", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("CHN", "China", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("IND", "India", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("IRN", "Iran", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("KAZ", "Kazakhstan", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("KGZ", "Kyrgyzstan", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("PAK", "Pakistan", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("RUS", "Russia", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("SAU", "Saudi Arabia", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("TJK", "Tajikistan", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("TUR", "Turkey", PARTICIPATING, LAUNCH, _FOUNDER_SOURCE),
    CountryFact("TKM", "Turkmenistan", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact("ARE", "United Arab Emirates", PARTICIPATING, None, _PARTICIPATING_SOURCE),
    CountryFact(
        "UZB",
        "Uzbekistan",
        PARTICIPATING,
        None,
        cite(ARTICLE, ABOUT, detail="member countries (infobox); 15 regional countries"),
        note=(
            "The sources disagree. istanbul-process-encyclopedia-article.txt lists Uzbekistan "
            "among the 15 participating countries (and names it co-lead of the Agriculture "
            "Development CBM, approved in 2017); atr-2016-security-cooperation-study.txt names "
            'fourteen participating states without Uzbekistan ("Afghanistan, Azerbaijan, China, '
            "India, Iran, Kazakhstan, Kyrgyzstan, Pakistan, Russia, Saudi Arabia, Tajikistan, "
            'Turkey, Turkmenistan, and the UAE") and speaks of "the fourteen Heart of Asia '
            'countries". When Uzbekistan joined is not established by the sources.'
        ),
    ),
    # The sixteen supporting countries; no source dates their joining.
    CountryFact("AUS", "Australia", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("CAN", "Canada", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("DNK", "Denmark", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("EGY", "Egypt", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("FIN", "Finland", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("FRA", "France", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("DEU", "Germany", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("IRQ", "Iraq", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("ITA", "Italy", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("JPN", "Japan", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("NOR", "Norway", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("POL", "Poland", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("ESP", "Spain", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("SWE", "Sweden", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("GBR", "United Kingdom", SUPPORTING, None, _SUPPORTING_SOURCE),
    CountryFact("USA", "United States", SUPPORTING, None, _SUPPORTING_SOURCE),
)


# --- Organizations, regional mechanisms and formats ------------------------------------------

# Organization kinds (organizations.models.OrganizationKind values).
REGIONAL = "regional"
INTERNATIONAL = "international"
MECHANISM = "mechanism"
FORMAT = "format"
FOUNDATION = "foundation"


@dataclass(frozen=True)
class OrganizationFact:
    acronym: str
    name: str
    kind: str
    supports_process: bool
    source: str


_SUPPORTING_ORG_SOURCE = cite(
    ARTICLE, STUDY, detail="supporting organizations (article); full name: list of acronyms (study)"
)

ORGANIZATIONS: tuple[OrganizationFact, ...] = (
    # The eleven supporting organizations the article names (it says twelve support the process).
    OrganizationFact(
        "AKDN", "Aga Khan Development Network", FOUNDATION, True, _SUPPORTING_ORG_SOURCE
    ),
    OrganizationFact(
        "CAREC",
        "Central Asia Regional Economic Cooperation",
        MECHANISM,  # "the CAREC Program" (study)
        True,
        _SUPPORTING_ORG_SOURCE,
    ),
    OrganizationFact(
        "CICA",
        "Conference on Interaction and Confidence-Building Measures in Asia",
        MECHANISM,  # "CICA, however, is currently just a mechanism, not an organization" (study)
        True,
        _SUPPORTING_ORG_SOURCE,
    ),
    OrganizationFact(
        "CSTO", "Collective Security Treaty Organization", REGIONAL, True, _SUPPORTING_ORG_SOURCE
    ),
    OrganizationFact(
        "ECO", "Economic Cooperation Organization", REGIONAL, True, _SUPPORTING_ORG_SOURCE
    ),
    OrganizationFact("EU", "European Union", INTERNATIONAL, True, _SUPPORTING_ORG_SOURCE),
    OrganizationFact(
        "NATO", "North Atlantic Treaty Organization", INTERNATIONAL, True, _SUPPORTING_ORG_SOURCE
    ),
    OrganizationFact(
        "OIC", "Organization of Islamic Cooperation", INTERNATIONAL, True, _SUPPORTING_ORG_SOURCE
    ),
    OrganizationFact(
        "OSCE",
        "Organization for Security and Cooperation in Europe",
        INTERNATIONAL,
        True,
        _SUPPORTING_ORG_SOURCE,
    ),
    OrganizationFact(
        "SAARC",
        "South Asian Association for Regional Cooperation",  # as in the study's text
        REGIONAL,
        True,
        _SUPPORTING_ORG_SOURCE,
    ),
    OrganizationFact(
        "SCO", "Shanghai Cooperation Organization", REGIONAL, True, _SUPPORTING_ORG_SOURCE
    ),
    # Regional mechanisms the 2016 study describes that are not supporting organizations.
    # None of these has an acronym in the sources: the trilaterals are named by their members'
    # ISO codes; the Colombo Plan by its short name.
    OrganizationFact(
        "Colombo Plan",
        "The Colombo Plan for Cooperative Economic and Social Development in Asia and the Pacific",
        REGIONAL,
        False,
        cite(STUDY, detail="regional mechanisms, footnote 65"),
    ),
    OrganizationFact(
        "AFG-PAK-CHN",
        "Afghanistan–Pakistan–China Trilateral",
        FORMAT,
        False,
        cite(STUDY, detail="the Trilateral Agreement between Afghanistan, Pakistan and China"),
    ),
    OrganizationFact(
        "AFG-IRN-PAK",
        "Afghanistan–Iran–Pakistan Trilateral",
        FORMAT,
        False,
        cite(
            STUDY,
            detail="trilateral dialogue between Afghanistan, Pakistan and Iran since 2009, "
            "in conjunction with ECO talks",
        ),
    ),
    OrganizationFact(
        "AFG-IRN-TJK",
        "Afghanistan–Iran–Tajikistan Trilateral",
        FORMAT,
        False,
        cite(STUDY, detail="the Afghanistan-Iran-Tajikistan trilateral agreement"),
    ),
    OrganizationFact(
        "QCG",
        "Quadrilateral Coordination Group",
        FORMAT,
        False,
        cite(STUDY, detail="the QCG comprises Afghanistan, Pakistan, China and the US"),
    ),
)


# Membership statuses (organizations.models.MembershipStatus values).
MEMBER = "member"
OBSERVER = "observer"
APPLICANT = "applicant"


@dataclass(frozen=True)
class MembershipFact:
    organization: str  # acronym
    country: str  # ISO code
    status: str
    source: str  # where only a year is known, the year is here: `since` is a full date
    since: date | None = None


def _members(acronym: str, codes: tuple[str, ...], source: str) -> tuple[MembershipFact, ...]:
    return tuple(MembershipFact(acronym, code, MEMBER, source) for code in codes)


MEMBERSHIPS: tuple[MembershipFact, ...] = (
    *_members(
        "AFG-PAK-CHN",
        ("AFG", "PAK", "CHN"),
        cite(STUDY, detail="Trilateral Agreement between Afghanistan, Pakistan and China"),
    ),
    *_members(
        "AFG-IRN-PAK",
        ("AFG", "IRN", "PAK"),
        cite(STUDY, detail="trilateral dialogue between Afghanistan, Pakistan and Iran since 2009"),
    ),
    *_members(
        "AFG-IRN-TJK",
        ("AFG", "IRN", "TJK"),
        cite(STUDY, detail="the Afghanistan-Iran-Tajikistan trilateral agreement"),
    ),
    *_members(
        "QCG",
        ("AFG", "PAK", "CHN", "USA"),
        cite(STUDY, detail="the QCG comprises Afghanistan, Pakistan, China and the US"),
    ),
    MembershipFact("SCO", "AFG", OBSERVER, cite(STUDY, detail="observer status in 2012")),
    MembershipFact(
        "SCO",
        "AFG",
        APPLICANT,
        cite(STUDY, detail="applied for the accession process in late 2015"),
    ),
    MembershipFact("CSTO", "AFG", OBSERVER, cite(STUDY, detail="an observer since 2013")),
    # The sentence stands in the study's CSTO paragraph, but the work it cites for it
    # (footnote 71) is "Iran and the SCO": the status is at the SCO.
    MembershipFact(
        "SCO",
        "IRN",
        OBSERVER,
        cite(
            STUDY,
            detail='observer status since 2005 ("Iran has had observer status since 2005", '
            'footnote 71: "Iran and the SCO")',
        ),
    ),
    MembershipFact("OIC", "RUS", OBSERVER, cite(STUDY, detail="observer status in 2005")),
    MembershipFact("OIC", "CHN", APPLICANT, cite(STUDY, detail="China has applied for it")),
)


# --- Ministerial conferences and declarations -----------------------------------------------

HELD = "held"
PLANNED = "planned"


@dataclass(frozen=True)
class ConferenceFact:
    number: int
    date: date | None
    year: int
    city: str  # "" when the sources do not name it
    host: str  # ISO code
    status: str
    source: str


CONFERENCES: tuple[ConferenceFact, ...] = (
    ConferenceFact(1, date(2011, 11, 2), 2011, "Istanbul", "TUR", HELD, ARTICLE),
    ConferenceFact(2, date(2012, 6, 14), 2012, "Kabul", "AFG", HELD, ARTICLE),
    ConferenceFact(3, date(2013, 4, 26), 2013, "Almaty", "KAZ", HELD, ARTICLE),
    ConferenceFact(4, date(2014, 10, 31), 2014, "Beijing", "CHN", HELD, ARTICLE),
    ConferenceFact(5, date(2015, 12, 9), 2015, "Islamabad", "PAK", HELD, ARTICLE),
    ConferenceFact(6, date(2016, 12, 4), 2016, "Amritsar", "IND", HELD, ARTICLE),
    ConferenceFact(7, date(2017, 12, 1), 2017, "Baku", "AZE", HELD, ARTICLE),
    ConferenceFact(8, date(2019, 12, 9), 2019, "Istanbul", "TUR", HELD, ARTICLE),
    # "Based on the Istanbul Declaration of 2019, the Republic of Tajikistan is supposed to hold
    # the ninth Ministerial Conference ... in 2020." No date, no city.
    ConferenceFact(9, None, 2020, "", "TJK", PLANNED, ARTICLE),
)


@dataclass(frozen=True)
class DeclarationFact:
    conference: int  # number
    title: str
    source: str
    summary: str = ""


DECLARATIONS: tuple[DeclarationFact, ...] = (
    DeclarationFact(1, "1st Ministerial Declaration", ARTICLE),
    DeclarationFact(
        2,
        "2nd Ministerial Declaration",
        cite(ARTICLE, ABOUT),
        summary="The participating countries prioritised six areas of regional cooperation as "
        "Confidence Building Measures.",
    ),
    DeclarationFact(3, "3rd Ministerial Declaration", ARTICLE),
    DeclarationFact(
        4,
        "Beijing Declaration",
        ARTICLE,
        summary="The 4th Ministerial Declaration; its Article 25 sets the rule that the lead "
        "countries of the CBMs convene at least two RTG meetings each year.",
    ),
    DeclarationFact(
        5,
        "5th Ministerial Declaration",
        cite(ARTICLE, STUDY),
        summary="Reaffirmed the Heart of Asia countries' recognition of mutual sovereignty and "
        "territorial integrity; they committed to refraining from the use of force against one "
        "another and to promoting regional peace and cooperation.",
    ),
    DeclarationFact(6, "6th Ministerial Declaration", ARTICLE),
    DeclarationFact(
        7,
        "7th Ministerial Declaration",
        ARTICLE,
        summary="Approved the Agriculture Development CBM.",
    ),
    DeclarationFact(
        8,
        "Istanbul Declaration: Peace, Partnership, Prosperity",
        ARTICLE,
        summary="Established the Women Empowerment CBM; added Environmental Protection to the "
        "Disaster Management CBM, renamed DM&EP; Tajikistan to hold the ninth Ministerial "
        "Conference in 2020.",
    ),
)


@dataclass(frozen=True)
class ArticleFact:
    conference: int  # number of the conference whose declaration it belongs to
    number: int
    text: str
    is_rtg_rule: bool
    effective_from: date | None
    source: str


RTG_RULE = ArticleFact(
    conference=4,
    number=25,
    text=(
        "The lead countries of the CBMs should convene at least two RTGs each year. One RTG "
        "Meeting is supposed to take place within two months of each MC and the second no later "
        "than four months prior to the following MC. At the first RTG Meeting of the year, the "
        "activities for the coming year are identified and prioritized. The second RTG Meeting "
        "of the year serves to review progress."
    ),
    is_rtg_rule=True,
    effective_from=date(2014, 10, 31),  # the Beijing conference
    source=ARTICLE,
)

ARTICLES: tuple[ArticleFact, ...] = (RTG_RULE,)


# --- Confidence Building Measures ------------------------------------------------------------


@dataclass(frozen=True)
class CBMFact:
    code: str  # the current code
    name: str  # the current name
    approved_at: int  # conference number; approved_on is that conference's date
    leads: tuple[str, ...]  # ISO codes of the lead and co-lead countries, since approval
    source: str
    notes: str = ""


_KABUL_SOURCE = cite(
    ABOUT, ARTICLE, detail="six areas prioritised at Kabul 2012; CBMs and lead countries"
)

CBMS: tuple[CBMFact, ...] = (
    CBMFact("CT", "Counter Terrorism", 2, ("AFG", "TUR", "ARE"), _KABUL_SOURCE),
    CBMFact("CN", "Counter Narcotics", 2, ("AZE", "RUS"), _KABUL_SOURCE),
    CBMFact(
        "DM&EP",
        "Disaster Management and Environmental Protection",
        2,
        ("KAZ", "PAK"),
        _KABUL_SOURCE,
        notes="Prioritised at Kabul 2012 as Disaster Management (DM). At the Eighth Ministerial "
        "Conference (Istanbul 2019) it was decided to include Environmental Protection and to "
        "rename it; the co-chairs for 2020 were mandated to amend its Implementation Plan, "
        f"under development ({ARTICLE}).",
    ),
    CBMFact("CE", "Culture and Education", 2, ("IRN",), _KABUL_SOURCE),
    CBMFact("RI", "Regional Infrastructure", 2, ("AZE", "TKM"), _KABUL_SOURCE),
    CBMFact("TCIO", "Trade, Commerce and Investment Opportunities", 2, ("IND",), _KABUL_SOURCE),
    CBMFact(
        "AD",
        "Agriculture Development",
        7,
        ("PAK", "UZB"),
        ARTICLE,
        notes=f"Approved in Azerbaijan (Baku) 2017 and endorsed in Istanbul 2019 ({ARTICLE}).",
    ),
    CBMFact(
        "WE",
        "Women Empowerment",
        8,
        (),
        ARTICLE,
        notes="Established by the Foreign Ministers of the Participating Countries at Istanbul "
        "2019. No lead country is named in the sources; the co-chairs for 2020 were mandated to "
        f"develop its Implementation Plan, under development ({ARTICLE}).",
    ),
)
# No supporting countries or organizations per CBM: hoa-ip-about.txt refers to a "Table 1" of
# CBMs and relevant states and organizations, but the table is not in any source text.


@dataclass(frozen=True)
class CBMNameFact:
    cbm: str  # current code
    code: str
    name: str
    since: date
    until: date | None
    decided_at: int  # conference number
    source: str


CBM_NAMES: tuple[CBMNameFact, ...] = (
    CBMNameFact(
        "DM&EP",
        "DM",
        "Disaster Management",
        date(2012, 6, 14),
        date(2019, 12, 8),
        2,
        _KABUL_SOURCE,
    ),
    CBMNameFact(
        "DM&EP",
        "DM&EP",
        "Disaster Management and Environmental Protection",
        date(2019, 12, 9),
        None,
        8,
        ARTICLE,
    ),
)


# --- Implementation plans --------------------------------------------------------------------

SUPERSEDED = "superseded"
IN_FORCE = "in_force"
DRAFT = "draft"


@dataclass(frozen=True)
class PlanFact:
    cbm: str  # current code
    version: int
    title: str
    status: str
    notes: str
    adopted_on: date | None = None  # no source dates any plan


_FIRST_PLAN_NOTES = (
    f"Each CBM has an Implementation Plan ({ARTICLE}); superseded by the 2019 revision. "
    "Adoption date and content not given in the sources."
)
_REVISION_NOTES = (
    "The Ministry of Foreign Affairs of Afghanistan revised the Implementation Plans of all seven "
    "CBMs in 2019, to focus on specific activities the lead countries must carry out "
    f"({ARTICLE}). Adoption date and content not given in the sources."
)

PLANS: tuple[PlanFact, ...] = (
    *(
        plan
        for code in ("CT", "CN", "DM&EP", "CE", "RI", "TCIO", "AD")
        for plan in (
            PlanFact(code, 1, "Implementation Plan", SUPERSEDED, _FIRST_PLAN_NOTES),
            PlanFact(code, 2, "Implementation Plan (2019 revision)", IN_FORCE, _REVISION_NOTES),
        )
    ),
    PlanFact(
        "DM&EP",
        3,
        "Implementation Plan (amendment for Environmental Protection)",
        DRAFT,
        "The co-chairs for the year 2020 were mandated to amend the Implementation Plan for the "
        f"renamed CBM; under development ({ARTICLE}).",
    ),
    PlanFact(
        "WE",
        1,
        "Implementation Plan (under development)",
        DRAFT,
        "The co-chairs for the year 2020 were mandated to develop an Implementation Plan for this "
        f"new CBM; under development ({ARTICLE}).",
    ),
)
# No priority areas, activities or meetings: the sources list and date none.

"""Uploads refused by what they hold, not by their name (issue #15, item 8): Office documents
with macros or with content fetched from elsewhere, and files that are a PDF and something else.

Each hostile file is the real LibreOffice document of fixtures/ with a few parts added or
edited, as a .docm, a remote template or an external workbook link would have them. Every one
is a 400 naming `file`, through the API and the edit page, and leaves nothing behind: no row, no
history, no version bump, no file in storage (RELIABILITY goal 12). What ordinary documents hold
still passes: hyperlinks to web pages and addresses, and a template or a link on the author's
own disk, from which nothing is fetched over the network.
"""

import io
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from cbms.models import ProgressReport, ReportAttachment
from cbms.reports.attachments import POLYGLOT_HEAD_BYTES

FIXTURES = Path(__file__).parent / "fixtures"
DOCX, XLSX, PDF = "libreoffice-sample.docx", "libreoffice-sample.xlsx", "libreoffice-sample.pdf"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HYPERLINK = f"{OFFICE_RELS}/hyperlink"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
OLE_HEADER = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)  # how a vbaProject.bin begins

MACROS = "The document contains macros"
EXTERNAL = "The document loads content from elsewhere"
POLYGLOT = "The file is not only a PDF: it also holds HTML or a zip archive."
NOT_OFFICE = "The file is not a valid Office document."


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_ATTACHMENT_MAX_BYTES = 1024 * 1024
    return tmp_path


def _stored(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def _nothing_added(media, report) -> None:
    assert not ReportAttachment.objects.exists()
    assert not ReportAttachment.history.exists()
    assert ProgressReport.objects.get(pk=report.pk).version == report.version
    assert _stored(media) == []


# --- Building the files -------------------------------------------------------------------------


def _office(
    fixture: str,
    *,
    edit: dict[str, Callable[[str], str]] | None = None,
    add: dict[str, bytes | str] | None = None,
) -> bytes:
    """The real document `fixture`, its parts edited (name → function of the text) and parts
    added (a name already there is added a second time)."""
    edit, add = edit or {}, add or {}
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(FIXTURES / fixture) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of a duplicate name
        for info in source.infolist():
            data = source.read(info)
            if info.filename in edit:
                data = edit[info.filename](data.decode()).encode()
            target.writestr(info.filename, data)
        for name, data in add.items():
            target.writestr(name, data)
    return buffer.getvalue()


def _relationships(*relationships: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
        + "".join(relationships)
        + "</Relationships>"
    )


def _relationship(rid: str, kind: str, target: str, mode: str | None = None) -> str:
    mode = f' TargetMode="{mode}"' if mode else ""
    return f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"{mode}/>'


def _with_relationship(relationship: str) -> Callable[[str], str]:
    return lambda text: text.replace("</Relationships>", relationship + "</Relationships>")


def _content_type(main: str) -> Callable[[str], str]:
    """Declare the document's main part (document.xml or workbook.xml) as `main`."""

    def edit(text: str) -> str:
        for standard in (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        ):
            text = text.replace(standard, main)
        return text

    return edit


def _with_types(*declarations: str) -> Callable[[str], str]:
    return lambda text: text.replace("</Types>", "".join(declarations) + "</Types>")


def _docx_linking(kind: str, target: str, mode: str = "External") -> bytes:
    """The document with one more relationship of the main part (a hyperlink, a picture...)."""
    return _office(
        DOCX,
        edit={
            "word/_rels/document.xml.rels": _with_relationship(
                _relationship("rId99", kind, target, mode)
            )
        },
    )


def _remote_template(
    mode: str = "External", target: str = "https://templates.example.net/report.dotm"
) -> bytes:
    """Word's attachedTemplate, fetched when the document opens (the classic remote template
    injection): settings.xml names it, its relationship points outside."""
    return _office(
        DOCX,
        edit={
            "word/settings.xml": lambda text: text.replace(
                "<w:zoom",
                f'<w:attachedTemplate xmlns:r="{OFFICE_RELS}" r:id="rId1"/><w:zoom',
            ),
        },
        add={
            "word/_rels/settings.xml.rels": _relationships(
                _relationship(
                    "rId1",
                    f"{OFFICE_RELS}/attachedTemplate",
                    target,
                    mode,
                )
            )
        },
    )


def _macro_enabled(base, main_type: str, part_folder: str, rels: str) -> bytes:
    """A macro-enabled Office document as Office writes one (its VBA project, its content type
    and the relationship to it), renamed to the macro-free extension."""
    return _office(
        base,
        edit={
            "[Content_Types].xml": lambda text: _with_types(
                '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
            )(_content_type(main_type)(text)),
            rels: _with_relationship(
                _relationship(
                    "rId98",
                    "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                    "vbaProject.bin",
                )
            ),
        },
        add={f"{part_folder}/vbaProject.bin": OLE_HEADER},
    )


def _docm() -> bytes:
    return _macro_enabled(DOCX, DOCM_MAIN, "word", "word/_rels/document.xml.rels")


def _xlsm() -> bytes:
    return _macro_enabled(XLSX, XLSM_MAIN, "xl", "xl/_rels/workbook.xml.rels")


def _external_workbook_link() -> bytes:
    """A formula reading a cell of another workbook on a server: Excel fetches it to update."""
    return _office(
        XLSX,
        edit={
            "[Content_Types].xml": _with_types(
                '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="'
                'application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>'
            ),
            "xl/_rels/workbook.xml.rels": _with_relationship(
                _relationship(
                    "rId97", f"{OFFICE_RELS}/externalLink", "externalLinks/externalLink1.xml"
                )
            ),
        },
        add={
            "xl/externalLinks/externalLink1.xml": (
                '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                f' xmlns:r="{OFFICE_RELS}"><externalBook r:id="rId1"/></externalLink>'
            ),
            "xl/externalLinks/_rels/externalLink1.xml.rels": _relationships(
                _relationship(
                    "rId1",
                    f"{OFFICE_RELS}/externalLinkPath",
                    "https://files.example.net/prices.xlsx",
                    "External",
                )
            ),
        },
    )


def _dde_link() -> bytes:
    """An external link to another program (DDE): no relationship, only the part."""
    return _office(
        XLSX,
        add={
            "xl/externalLinks/externalLink1.xml": (
                '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>'
            )
        },
    )


def _data_connection() -> bytes:
    """A query to a web page or database that Excel runs to refresh the sheet."""
    return _office(
        XLSX,
        add={
            "xl/connections.xml": (
                '<connections xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<connection id="1" name="q" type="4" refreshOnLoad="1">'
                '<webPr url="https://data.example.net/feed"/></connection></connections>'
            )
        },
    )


def _entity_bomb() -> bytes:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    return _office(
        DOCX,
        edit={
            "word/_rels/document.xml.rels": lambda text: text.replace(
                '<?xml version="1.0" encoding="UTF-8"?>',
                f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE r [{entities}]>',
            ).replace('Target="styles.xml"', 'Target="&i;"')
        },
    )


def _pdf() -> bytes:
    return (FIXTURES / PDF).read_bytes()


def _zip(**parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _pdf_with(inserted: bytes, at: int = 9) -> bytes:
    """The real PDF with bytes inserted at `at` (by default right after its header line), as a
    comment or a stream would hold them."""
    pdf = _pdf()
    return pdf[:at] + inserted + pdf[at:]


def _zip_local_part() -> bytes:
    """A zip's local file header and data without its central directory: what 7-Zip or a
    streaming reader still finds inside another file."""
    archive = _zip(**{"index.html": "<p>x</p>"})
    return archive[: archive.index(b"PK\x01\x02")]


def _zip_directory_part() -> bytes:
    archive = _zip(**{"index.html": "<p>x</p>"})
    return archive[archive.index(b"PK\x01\x02") :]


REFUSED = [
    pytest.param("report.docx", _docm, MACROS, id="docm-renamed-docx"),
    pytest.param(
        "report.docx",
        lambda: _office(DOCX, edit={"[Content_Types].xml": _content_type(DOCM_MAIN)}),
        MACROS,
        id="docm-content-type-without-vba",
    ),
    pytest.param(
        "report.docx",
        lambda: _office(DOCX, add={"Word/VBAProject.BIN": OLE_HEADER}),
        MACROS,
        id="vba-project-part-any-case",
    ),
    pytest.param(
        "report.docx",
        lambda: _office(
            DOCX,
            edit={
                "word/_rels/document.xml.rels": _with_relationship(
                    _relationship(
                        "rId98",
                        "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                        "macros.dat",
                    )
                )
            },
            add={"word/macros.dat": OLE_HEADER},
        ),
        MACROS,
        id="vba-project-under-another-name",
    ),
    pytest.param("figures.xlsx", _xlsm, MACROS, id="xlsm-renamed-xlsx"),
    pytest.param(
        "figures.xlsx",
        lambda: _office(XLSX, edit={"[Content_Types].xml": _content_type(XLSM_MAIN)}),
        MACROS,
        id="xlsm-content-type-without-vba",
    ),
    pytest.param(
        "report.docx",
        lambda: _office(DOCX, add={"word/embeddings/Microsoft_Word_Document.docm": _docm()}),
        MACROS,
        id="embedded-docm",
    ),
    pytest.param("report.docx", _remote_template, EXTERNAL, id="remote-template"),
    pytest.param(
        "report.docx",
        lambda: _remote_template(mode="external"),
        EXTERNAL,
        id="remote-template-lower-case-mode",
    ),
    pytest.param(
        "report.docx",
        lambda: _docx_linking(f"{OFFICE_RELS}/image", "https://pixel.example.net/open.png"),
        EXTERNAL,
        id="linked-picture",
    ),
    pytest.param(
        "report.docx",
        lambda: _docx_linking(f"{OFFICE_RELS}/oleObject", "https://files.example.net/x.xlsx"),
        EXTERNAL,
        id="linked-object",
    ),
    pytest.param(
        "report.docx",
        lambda: _docx_linking(HYPERLINK, r"\\files.example.net\share\minutes.docx"),
        EXTERNAL,
        id="hyperlink-to-a-windows-share",
    ),
    pytest.param(
        "report.docx",
        lambda: _docx_linking(HYPERLINK, "file://files.example.net/share/minutes.docx"),
        EXTERNAL,
        id="hyperlink-to-a-file-on-another-machine",
    ),
    pytest.param(
        "report.docx",
        lambda: _remote_template(target=r"\\templates.example.net\share\report.dotm"),
        EXTERNAL,
        id="template-on-a-windows-share",
    ),
    pytest.param(
        "report.docx",
        lambda: _remote_template(target="file:////templates.example.net/share/report.dotm"),
        EXTERNAL,
        id="template-by-file-url-on-another-machine",
    ),
    pytest.param(
        "report.docx",
        lambda: _docx_linking(f"{OFFICE_RELS}/image", "file:///C:/Users/desk/logo.png"),
        EXTERNAL,
        id="linked-picture-on-the-authors-disk",
    ),
    pytest.param("figures.xlsx", _external_workbook_link, EXTERNAL, id="external-workbook"),
    pytest.param("figures.xlsx", _dde_link, EXTERNAL, id="dde-link"),
    pytest.param("figures.xlsx", _data_connection, EXTERNAL, id="data-connection"),
    pytest.param("report.docx", _entity_bomb, NOT_OFFICE, id="entity-expansion-in-rels"),
    pytest.param(
        "report.docx",
        lambda: _office(
            DOCX,
            add={
                "word/_rels/document.xml.rels": _relationships(
                    _relationship(
                        "rId1",
                        f"{OFFICE_RELS}/attachedTemplate",
                        "https://templates.example.net/t.dotm",
                        "External",
                    )
                )
            },
        ),
        NOT_OFFICE,
        id="duplicate-part",
    ),
    pytest.param(
        "report.docx",
        lambda: b"%PDF-1.4\n%%EOF\n" + (FIXTURES / DOCX).read_bytes(),
        NOT_OFFICE,
        id="pdf-in-front-of-a-docx",
    ),
    pytest.param(
        "report.pdf",
        lambda: _pdf_with(b"%<html><body><script>alert(document.domain)</script>\n"),
        POLYGLOT,
        id="pdf-html",
    ),
    pytest.param(
        "report.pdf",
        lambda: _pdf_with(b"%<SCRIPT>\n", at=POLYGLOT_HEAD_BYTES - len(b"%<SCRIPT>")),
        POLYGLOT,
        id="pdf-script-at-the-end-of-the-head",
    ),
    pytest.param(
        "report.pdf",
        lambda: _pdf() + _zip(**{"index.html": "<script>alert(1)</script>"}),
        POLYGLOT,
        id="pdf-zip-appended",
    ),
    pytest.param(
        "report.pdf", lambda: _pdf_with(_zip_local_part(), at=2000), POLYGLOT, id="pdf-zip-inside"
    ),
    pytest.param(
        "report.pdf",
        lambda: _pdf_with(_zip_directory_part(), at=2000),
        POLYGLOT,
        id="pdf-zip-directory-inside",
    ),
]


def _api_upload(user, report, name: str, content: bytes):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(
        f"/api/v1/reports/{report.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


@pytest.mark.parametrize(("name", "make", "message"), REFUSED)
def test_hostile_uploads_are_400_and_store_nothing(rw, media, name, make, message):
    report = rw.start()
    response = _api_upload(rw.fp_fra, report, name, make())
    assert response.status_code == 400, response.content
    [error] = response.json()["file"]
    assert error.startswith(message)
    _nothing_added(media, report)


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [case for case in REFUSED if case.id in ("docm-renamed-docx", "remote-template", "pdf-html")],
)
def test_a_hostile_file_on_the_edit_page_saves_nothing(rw, media, client, name, make, message):
    report = rw.start(narrative="Before")
    client.force_login(rw.fp_fra)
    response = client.post(
        reverse("cbms:report_edit", args=[report.pk]),
        {
            "narrative": "After",
            "version": report.version,
            "file": SimpleUploadedFile(name, make()),
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    _nothing_added(media, report)
    assert ProgressReport.objects.get(pk=report.pk).narrative == "Before"


ACCEPTED = [
    pytest.param(DOCX, lambda: (FIXTURES / DOCX).read_bytes(), id="libreoffice-docx"),
    pytest.param(XLSX, lambda: (FIXTURES / XLSX).read_bytes(), id="libreoffice-xlsx"),
    pytest.param(PDF, _pdf, id="libreoffice-pdf"),
    # A link in a report is normal: Office follows it only when the reader clicks it.
    pytest.param(
        "links.docx",
        lambda: _office(
            DOCX,
            edit={
                "word/_rels/document.xml.rels": _with_relationship(
                    _relationship("rId90", HYPERLINK, "https://www.hoa-ip.example/", "External")
                    + _relationship("rId91", HYPERLINK, "mailto:desk@hoa-ip.example", "External")
                )
            },
        ),
        id="docx-with-web-and-mail-links",
    ),
    pytest.param(
        "links.xlsx",
        lambda: _office(
            XLSX,
            add={
                "xl/worksheets/_rels/sheet1.xml.rels": _relationships(
                    _relationship("rId1", HYPERLINK, "HTTPS://example.org/data", "External")
                )
            },
        ),
        id="xlsx-with-a-web-link",
    ),
    # Nothing leaves the reader's machine: a document made from a company template on the
    # author's disk (as Word records it), a link to a file there.
    pytest.param(
        "from-template.docx",
        lambda: _remote_template(
            target=r"file:///C:\Users\desk\Documents\Custom%20Office%20Templates\HoA.dotx"
        ),
        id="template-on-the-authors-disk",
    ),
    pytest.param(
        "local-link.docx",
        lambda: _docx_linking(HYPERLINK, "file:///C:/Users/desk/minutes.docx"),
        id="hyperlink-to-a-file-on-the-authors-disk",
    ),
    # Markup the reader never sees as such: past the head, where a text mentions it.
    pytest.param(
        "deep.pdf",
        lambda: _pdf_with(b"%<html> as quoted in the annex\n", at=POLYGLOT_HEAD_BYTES),
        id="pdf-mentioning-html-past-its-head",
    ),
    # Four bytes a compressed stream holds by chance are not a zip: the fields must make sense.
    pytest.param(
        "noise.pdf",
        lambda: _pdf_with(b"PK\x03\x04" + b"\xff" * 40 + b"PK\x05\x06" + b"\x01" * 18, at=2000),
        id="pdf-with-zip-signatures-by-chance",
    ),
]


@pytest.mark.parametrize(("name", "make"), ACCEPTED)
def test_real_and_harmless_documents_still_pass(rw, media, name, make):
    report = rw.start()
    content = make()
    response = _api_upload(rw.fp_fra, report, name, content)
    assert response.status_code == 201, response.content
    attachment = ReportAttachment.objects.get()
    assert (attachment.original_name, attachment.size) == (name, len(content))
    assert len(_stored(media)) == 1

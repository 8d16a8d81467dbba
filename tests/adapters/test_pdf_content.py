"""Active content in PDFs: found wherever it is (catalogue, pages, annotations, name trees,
and in PDFs written by another library), in words; plain typed and scanned reports have none."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from adapters.pdf_content import UnreadablePdf, active_content
from adapters.simulators.pdf import _assemble, report_with_javascript, scanned_report, typed_report

PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def _page(extra: bytes = b"") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + extra + b" >>"


def test_plain_reports_have_none() -> None:
    assert active_content(typed_report(["Psychological advice", "Reading age 7.2"])) == []
    assert active_content(scanned_report(7)) == []


def test_javascript_run_on_opening() -> None:
    assert active_content(report_with_javascript(["x"])) == ["JavaScript"]


def test_a_link_that_launches_a_program() -> None:
    pdf = _assemble([b"<< /Type /Catalog /Pages 2 0 R >>", PAGES,
                     _page(b"/Annots [4 0 R]"),
                     b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /Launch /F (cmd.exe) >> >>"])
    assert active_content(pdf) == ["an action that launches a program"]


def test_embedded_files_in_the_name_tree() -> None:
    pdf = _assemble([b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >> >>", PAGES, _page(),
                     b"<< /Names [(a.exe) 5 0 R] >>",
                     b"<< /Type /Filespec /F (a.exe) >>"])
    assert active_content(pdf) == ["embedded files"]


def test_page_actions_and_xfa_forms() -> None:
    pdf = _assemble([b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>", PAGES,
                     _page(b"/AA << /O << /S /URI /URI (https://example.invalid) >> >>"),
                     b"<< /Length 0 >>\nstream\n\nendstream"])
    assert active_content(pdf) == ["actions run automatically", "an XFA form"]


def test_javascript_in_a_pdf_written_by_another_library() -> None:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}))
    out = io.BytesIO()
    writer.write(out)
    assert active_content(out.getvalue()) == ["JavaScript"]


@pytest.mark.parametrize("content", [b"%PDF-1.4\nnot really", b"%PDF-"])
def test_a_pdf_that_cannot_be_read_is_said_so(content: bytes) -> None:
    with pytest.raises(UnreadablePdf):
        active_content(content)

"""Active content in a PDF: what the broker refuses to store or pass on to staff.

A scanned report needs none of it. JavaScript, actions that launch programs or open addresses on
opening, embedded files, rich media and XFA forms are the ways a PDF acts on the reader's
machine, so a document holding any of them is refused whole, with the reasons named. The PDF is
parsed by pypdf (compressed object streams included) and every object reachable from its
trailer is inspected; a file that cannot be parsed is refused too.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

# Dictionary keys that are active content wherever they appear.
_ACTIVE_KEYS = {
    "/JavaScript": "JavaScript", "/JS": "JavaScript", "/EmbeddedFiles": "embedded files",
    "/EmbeddedFile": "embedded files", "/RichMedia": "rich media", "/XFA": "an XFA form",
    "/AA": "actions run automatically",
}
# Action types (the /S of an action dictionary) that act on the reader's machine.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript", "/Launch": "an action that launches a program", "/ImportData": "an import action",
    "/SubmitForm": "a form that submits itself", "/GoToE": "a link into an embedded file",
    "/RichMediaExecute": "rich media",
}
_ACTIVE_SUBTYPES = {"/FileAttachment": "embedded files", "/RichMedia": "rich media", "/Screen": "rich media",
                    "/Movie": "rich media", "/Sound": "rich media"}
# Beyond this many objects a file is refused rather than inspected without end.
_MAX_OBJECTS = 200_000


class UnreadablePdf(ValueError):
    """The bytes are not a PDF pypdf can read."""


def active_content(content: bytes) -> list[str]:
    """What active content the PDF holds, in words, sorted; empty for a plain document."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        root: PdfObject = reader.trailer
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadablePdf(str(exc)) from None
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject] = [root]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                resolved = item.get_object()
            except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
                raise UnreadablePdf(str(exc)) from None
            if resolved is None:
                continue
            item = resolved
        visited += 1
        if visited > _MAX_OBJECTS:
            raise UnreadablePdf("too many objects to inspect")
        if isinstance(item, DictionaryObject):
            for name, value in item.items():
                if name in _ACTIVE_KEYS:
                    found.add(_ACTIVE_KEYS[name])
                if name == "/S" and isinstance(value, NameObject) and value in _ACTIVE_ACTIONS:
                    found.add(_ACTIVE_ACTIONS[value])
                if name == "/Subtype" and isinstance(value, NameObject) and value in _ACTIVE_SUBTYPES:
                    found.add(_ACTIVE_SUBTYPES[value])
                if name != "/Parent":
                    stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return sorted(found)

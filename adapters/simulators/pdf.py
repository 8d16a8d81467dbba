"""Small, real PDF files: typed reports with a text layer, and "scans" that are only an image."""

from __future__ import annotations

import random
import zlib
from functools import lru_cache


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _assemble(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


def typed_report(lines: list[str]) -> bytes:
    """A one-page A4 PDF with ``lines`` of Helvetica text."""
    commands = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for line in lines:
        commands.append(f"({_escape(line)}) Tj T*")
    commands.append("ET")
    content = "\n".join(commands).encode("latin-1", "replace")
    return _assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def report_with_javascript(lines: list[str]) -> bytes:
    """``typed_report`` with a JavaScript action run on opening: what a compromised or careless
    source system might send, for the tests that the broker refuses it."""
    commands = ["BT", "/F1 11 Tf", "56 780 Td"] + [f"({_escape(line)}) Tj" for line in lines] + ["ET"]
    return _assemble([
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream("\n".join(commands).encode("latin-1", "replace")),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>",
    ])


@lru_cache(maxsize=512)
def scanned_report(seed: int, width: int = 180, height: int = 255) -> bytes:
    """A one-page PDF holding only a greyscale image, as a scanned paper report is: no text layer."""
    rng = random.Random(seed)  # nosec B311  # seeded scan noise, not a secret
    rows = []
    for y in range(height):
        inked = 60 < y < height - 40 and y % 9 in (0, 1, 2) and rng.random() < 0.85
        row = bytearray()
        for x in range(width):
            ink = inked and 24 < x < width - 24 - rng.randint(0, 60)
            row.append(rng.randint(30, 90) if ink else (238 if rng.random() < 0.97 else rng.randint(160, 230)))
        rows.append(bytes(row))
    image = zlib.compress(b"".join(rows), 9)
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    return _assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        _stream(content),
        _stream(image, f"/Type /XObject /Subtype /Image /Width {width} /Height {height} "
                       f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "),
    ])

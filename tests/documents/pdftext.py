"""Reading PDFs back as text, as poppler sees them (for the rendering and issuing tests)."""

from __future__ import annotations

import subprocess
import unicodedata


def pdf_text(pdf: bytes, *, first: int | None = None, last: int | None = None,
             layout: bool = True) -> str:
    """The text of a PDF in NFC: laid out as on the page (pdftotext -layout), or in the order it
    was drawn (-raw: a table cell's wrapped lines stay together)."""
    command = ["pdftotext", "-layout" if layout else "-raw", "-enc", "UTF-8"]
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    result = subprocess.run([*command, "-", "-"], input=pdf, capture_output=True, check=True)
    return unicodedata.normalize("NFC", result.stdout.decode("utf-8"))


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces folded, for phrases that may wrap."""
    return " ".join(text.split())

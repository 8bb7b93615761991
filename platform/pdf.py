"""HTML to PDF through WeasyPrint, for records, letters and reports.

A document never loads anything from outside (no images, fonts or style sheets from the
network or the file system): every URL is refused, and refusing stops the rendering
rather than leaving something out quietly. Templates carry their styles inline.
"""

from __future__ import annotations

from typing import Any

from flask import Response


class PdfError(ValueError):
    """The document asked for an outside resource."""


def _no_fetch():
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        def fetch(self, url: str, headers: Any = None):
            raise PdfError(f"a document may not load {url[:80]}")

    return NoFetch(fail_on_errors=True, allowed_protocols=())


def render(html: str) -> bytes:
    """The HTML page as PDF bytes."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=_no_fetch()).write_pdf()


def download(pdf: bytes, filename: str) -> Response:
    """A response that saves ``pdf`` under ``filename`` (ASCII, no quotes)."""
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

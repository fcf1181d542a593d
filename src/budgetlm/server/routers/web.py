"""The web page: one HTML file, a script and a style sheet, served by the same app.

No build step: the page is plain HTML and a small ES module that calls the budget API and the
OpenAI-compatible endpoint (for streaming chat). Ledger text is only ever set as text, never as
HTML, so a hostile description cannot inject markup.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

WEB_DIRECTORY = Path(__file__).resolve().parent.parent / "web"
"""Where the page's files are installed."""

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    """The page."""
    return FileResponse(WEB_DIRECTORY / "index.html", media_type="text/html")

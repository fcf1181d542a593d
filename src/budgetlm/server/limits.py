"""Request-size limits that hold before any route runs.

``BodyLimit`` is a plain ASGI middleware: a request whose ``Content-Length`` is over the limit is
answered 413 without reading its body, and a body streamed without a length (chunked) is
counted as it arrives and cut off with 413 as soon as it passes the limit. It has to sit in
front of FastAPI because a route's body (an uploaded file included) is read before any of its
dependencies run.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_PAGE = 500
"""Most rows one page of a listing returns."""
MAX_CONVERSATION_MESSAGES = 40
"""Most earlier messages an ``/ask`` request may carry."""
MAX_TEXT_CHARS = 500
"""Longest description, payee or name the API takes."""


class BodyTooLargeError(HTTPException):
    """Raised inside ``receive`` when a streamed body passes the limit. An ``HTTPException``,
    so that FastAPI, which turns other errors while reading a body into 400, answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _message(max_bytes))


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413.

    Args:
        app: The wrapped application.
        max_bytes: Largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLargeError:
            if started:  # too late for a status: the client sees a cut connection
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": _message(self.max_bytes)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _message(max_bytes: int) -> str:
    return f"the request body is larger than the limit of {max_bytes} bytes"

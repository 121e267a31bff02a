"""Async clients (aiobotocore, aioboto3): answers in the shape aiobotocore itself produces.

An aiobotocore client awaits what the `before-call` handler returns, and reads bodies from an
aiohttp response asynchronously: `await http.content`, `await body.read()`, `async for` over an
event stream. A sync botocore response would make those a TypeError. `RecordedResponse` is the
recorded bytes offered as aiohttp's ClientResponse offers them (only what aiobotocore reads);
`response` wraps it in aiobotocore's `AioAWSResponse`, and `parse_streaming` runs aiobotocore's
own `convert_to_response_dict` and protocol parser on it, so a streaming output is aiobotocore's
StreamingBody and an event stream its AioEventStream, whichever aiobotocore version is installed.
aiobotocore is imported only when an async client asks.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

from pagetape.wire import codec


class _Content:
    """aiohttp's StreamReader over recorded bytes: what aiobotocore's bodies read from."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._at = 0

    async def read(self, n: int = -1) -> bytes:
        end = len(self._body) if n is None or n < 0 else self._at + n
        chunk = self._body[self._at : end]
        self._at += len(chunk)
        return chunk

    async def readany(self) -> bytes:
        return await self.read()

    def at_eof(self) -> bool:
        return self._at >= len(self._body)

    async def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        """(data, end of an HTTP chunk), as aiohttp yields them; the recording is one chunk."""
        chunk = await self.read()
        if chunk:
            yield chunk, True


class RecordedResponse:
    """The recorded body as an aiohttp ClientResponse: `content` streams it, `read()` gives it
    whole (aiohttp caches the body the same way), `async with` and `close()` release it;
    `raw_headers` as bytes pairs (aiobotocore before 2.21 builds its headers from them)."""

    def __init__(self, body: bytes, headers: dict[str, str], url: str = "") -> None:
        self._body = body
        self.content = _Content(body)
        self.url = url
        self.closed = False
        self.raw_headers = tuple(
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        )

    async def read(self) -> bytes:
        return self._body

    def at_eof(self) -> bool:
        return self.content.at_eof()

    def close(self) -> None:
        self.closed = True

    def release(self) -> None:
        self.closed = True

    async def __aenter__(self) -> RecordedResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()


def response(status: int, headers: dict[str, str], body: bytes) -> Any:
    """aiobotocore's AioAWSResponse around the recorded body (its `content` is awaited)."""
    from aiobotocore.awsrequest import AioAWSResponse
    from botocore.awsrequest import HeadersDict

    return AioAWSResponse(None, status, HeadersDict(headers), RecordedResponse(body, headers))


async def parse_streaming(model: Any, http: Any) -> tuple[Any, dict[str, Any]]:
    """(http, parsed) for a streaming or event-stream output, as AioEndpoint makes them: its own
    response dict (the streaming body of the installed aiobotocore) and its own parser."""
    from aiobotocore.endpoint import convert_to_response_dict
    from aiobotocore.parsers import create_parser

    response_dict = await convert_to_response_dict(http, model)
    protocol = codec.wire_protocol(model.service_model, codec.content_type(http.headers))
    parsed = create_parser(protocol).parse(response_dict, model.output_shape)
    if inspect.isawaitable(parsed):
        parsed = await parsed
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return http, parsed

"""Small helpers shared by the recording tests."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import botocore
import pytest

from pagetape.aws.specs import botocore_session
from pagetape.record.recording import RecordRequest, RecordResult, plan, record


def missing_model(service: str, operation: str | None = None) -> str | None:
    """Why the installed botocore cannot speak this call (the suite runs on the oldest botocore
    pyproject allows, whose models predate some services and operations), else None."""
    session = botocore_session()
    if service not in session.get_available_services():
        return f"botocore {botocore.__version__} has no {service} model"
    if (
        operation is not None
        and operation not in session.get_service_model(service).operation_names
    ):
        return f"botocore {botocore.__version__} has no {service} {operation}"
    return None


def needs_model(service: str, operation: str, *values: Any, id: str | None = None) -> Any:
    """A pytest.param of (service, operation, *values), skipped with the reason when the
    installed botocore lacks the model; nothing is skipped where the model exists."""
    reason = missing_model(service, operation)
    marks = [pytest.mark.skip(reason=reason)] if reason else []
    return pytest.param(service, operation, *values, marks=marks, id=id)


SANDBOX_KEY = ("AKIASANDBOXTESTS0000", "sandbox-test-secret-key")

# (service, operation, page size, filter params that select a subset)
SEEDED = [
    ("frauddetector", "GetBatchPredictionJobs", 10),
    ("personalize", "ListBatchSegmentJobs", 10),
    ("cleanroomsml", "ListAudienceGenerationJobs", 10),
    ("personalize", "ListDataDeletionJobs", 5),
    ("bedrock", "ListModelImportJobs", 10),
]
RESULT_KEYS = {
    "GetBatchPredictionJobs": "batchPredictions",
    "ListBatchSegmentJobs": "batchSegmentJobs",
    "ListAudienceGenerationJobs": "audienceGenerationJobs",
    "ListDataDeletionJobs": "dataDeletionJobs",
    "ListModelImportJobs": "modelImportJobSummaries",
}


def record_from(
    sandbox: Any,
    service: str,
    operation: str,
    output: Path,
    page_size: int | None = None,
    params: dict[str, Any] | None = None,
    credentials: tuple[str, str] = SANDBOX_KEY,
    region: str = "us-east-1",
    **kwargs: Any,
) -> RecordResult:
    """Record through the library with real boto3 over real HTTP to SANDBOX (the embedded
    sandbox, or any server with an `endpoint_url`, such as a moto account)."""
    request = RecordRequest(
        service=service,
        operation=operation,
        params_json=json.dumps(params) if params else None,
        page_size=page_size,
        region=region,
        endpoint_url=sandbox.endpoint_url,
        output=str(output),
        credentials=credentials,
        **kwargs,
    )
    return record(plan(request))


def token_of(body: Any, query: list[Any]) -> str | None:
    if isinstance(body, dict) and body.get("nextToken"):
        return str(body["nextToken"])
    return dict((k, v) for k, v in query).get("nextToken")


def encoded_forms(value: str) -> list[str]:
    """A value as it could leak: plain, URL-encoded, base64 and base64url (unpadded)."""
    raw = value.encode()
    return [
        value,
        quote(value, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def hand_made(
    interactions: list[Any],
    service: str,
    operation: str,
    region: str = "us-east-1",
    protocol: str = "json",
    params: dict[str, Any] | None = None,
    fakes: list[str] | None = None,
) -> Any:
    """A cassette around hand-built interactions, for shapes the sandbox does not serve."""
    from pagetape.cassette import store as cassette_io

    metadata = cassette_io.Metadata(
        service=service, operation=operation, region=region, params=params or {},
        page_size=None, pages=len(interactions), items=0,
        recorded_at="2024-01-01T00:00:00+00:00", tool_version="0", botocore_version="0",
        protocol=protocol, fakes=fakes or [],
    )  # fmt: skip
    return cassette_io.Cassette(cassette_io.FORMAT_VERSION, metadata, interactions)


# What a test endpoint answers a POST to PATH: (content type, body, extra headers).
Reply = Callable[[str], tuple[str, bytes, dict[str, str]]]


@contextlib.contextmanager
def answering(reply: Reply) -> Iterator[str]:
    """A one-purpose AWS endpoint on 127.0.0.1 for a test that needs a service misbehaving (a
    token loop, a rival writer, a stream): every POST gets REPLY's answer. Yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type, body, extra = reply(self.path)
            self.send_response(200)
            for name, value in {"Content-Type": content_type, **extra}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

"""A small, fast local AWS endpoint for benchmarks: chains of any length, realistic data.

The sandbox account holds 31 jobs; the benchmark needs chains of 100 to 10,000 pages and a
single page of 1,000 items, served fast enough that the server is not what gets measured.
It answers two operations on 127.0.0.1 (port 0):

- personalize ListBatchSegmentJobs (AWS JSON 1.1, ``POST /``, ``X-Amz-Target``): JOBS generated
  jobs, ``maxResults`` per page (DEFAULT_PAGE without it), opaque base64 ``nextToken``.
- S3 ListObjectsV2 (rest-xml, ``GET /bucket?list-type=2``): OBJECTS keys, ``max-keys`` per
  page (1,000 by default, as S3), opaque ``NextContinuationToken``.

Items carry what the sanitizer must find (account ids in ARNs, IAM roles, emails, s3:// URIs,
owner ids) and pages are encoded once per (offset, size), so serving costs microseconds.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

ACCOUNT = "739275104611"
REGION = "us-east-1"
TARGET = "AmazonPersonalize.ListBatchSegmentJobs"
BUCKET = "northwind-analytics-exports"
_EPOCH0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
_TOPICS = ("winter-boots", "loyalty-gold", "lapsed-buyers", "new-arrivals", "gift-cards")
_FAILURES = (
    "Amazon Personalize cannot read s3://{bucket}/segments/input/{topic}/users-{day}.json. Make "
    "sure that role arn:aws:iam::{acct}:role/service-role/PersonalizeS3Access allows s3:GetObject.",
    "Invalid item ID in row {row} of s3://{bucket}/segments/input/{topic}/users-{day}.json; the "
    "file was uploaded by {email}.",
)
_DIGEST = 24
_EMAILS = ("dana.whitfield@northwind-traders.com", "ml-platform@northwind-traders.com")


def _token(kind: str, offset: int) -> str:
    """Opaque like AWS tokens: base64 of a versioned payload and a digest, not a bare offset."""
    payload = json.dumps({"v": 2, "k": kind, "o": offset, "a": ACCOUNT}, separators=(",", ":"))
    digest = hashlib.sha256(payload.encode()).digest()[:_DIGEST]
    return base64.b64encode(payload.encode() + digest).decode()


def _offset(token: str, kind: str, total: int) -> int | None:
    try:
        payload = base64.b64decode(token, validate=True)[:-_DIGEST]
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    offset = data.get("o") if isinstance(data, dict) and data.get("k") == kind else None
    return offset if isinstance(offset, int) and 0 < offset < total else None


def _job(rng: random.Random, i: int) -> dict[str, object]:
    """One job as Personalize returns it, with a failure reason on about one job in eight."""
    created = _EPOCH0 + timedelta(minutes=17 * i, seconds=rng.randint(0, 59))
    topic = _TOPICS[i % len(_TOPICS)]
    name = f"northwind-{topic}-{created:%Y%m%d}-{rng.getrandbits(16):04x}"
    failed = i % 8 == 5
    job: dict[str, object] = {
        "batchSegmentJobArn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:batch-segment-job/{name}",
        "jobName": name,
        "status": "CREATE FAILED" if failed else "ACTIVE",
        "creationDateTime": round(created.timestamp() + rng.random(), 3),
        "lastUpdatedDateTime": round(created.timestamp() + rng.randint(240, 7200), 3),
        "solutionVersionArn": (
            f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/northwind-{topic}/"
            f"{rng.getrandbits(32):08x}"
        ),
    }
    if failed:
        job["failureReason"] = _FAILURES[i % 2].format(
            bucket=BUCKET, topic=topic, day=f"{created:%Y%m%d}", acct=ACCOUNT,
            row=rng.randint(2, 90000), email=_EMAILS[i % 2],
        )  # fmt: skip
    return job


def _object_xml(rng: random.Random, i: int) -> str:
    """One <Contents> entry: realistic keys (dated export partitions), ETag, size, owner."""
    day = _EPOCH0 + timedelta(hours=i // 4)
    key = f"exports/orders/year={day:%Y}/month={day:%m}/day={day:%d}/part-{i:05d}-{rng.getrandbits(32):08x}.snappy.parquet"
    modified = (day + timedelta(seconds=rng.randint(0, 3599))).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return (
        f"<Contents><Key>{escape(key)}</Key><LastModified>{modified}</LastModified>"
        f"<ETag>&quot;{rng.getrandbits(128):032x}&quot;</ETag><Size>{rng.randint(4096, 1 << 27)}"
        "</Size><Owner><ID>"
        "5d4b1c7e0f9a2e3b8c6d4f1a0e9b7c5d3f2a1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
        "</ID><DisplayName>northwind-data-eng</DisplayName></Owner>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: boto3 reuses its connection, as with AWS
    # Headers and body leave in one buffered write, without Nagle: two small writes would
    # meet the client's delayed ACK and cost 40 ms a request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Silent: a line per request would cost more than the reply."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b"{}"
        if self.headers.get("X-Amz-Target") != TARGET:
            self._send(400, _JSON, b'{"__type":"UnknownOperationException"}')
            return
        params = json.loads(body or b"{}")
        page = self.server.jobs_page(params.get("nextToken"), params.get("maxResults"))
        if page is None:
            self._send(400, _JSON, b'{"__type":"InvalidNextTokenException","message":"Invalid"}')
            return
        self._send(200, _JSON, page)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if query.get("list-type") != "2" or parts.path.strip("/") != BUCKET:
            self._send(404, _XML, b"<Error><Code>NoSuchBucket</Code></Error>")
            return
        size = int(query.get("max-keys", "1000"))
        page = self.server.objects_page(query.get("continuation-token"), size)
        if page is None:
            self._send(400, _XML, b"<Error><Code>InvalidArgument</Code></Error>")
            return
        self._send(200, _XML, page)

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", "5f1c0e7a-2b9d-4c3e-8f6a-0d1e2c3b4a59")
        self.end_headers()
        self.wfile.write(body)


_JSON = "application/x-amz-json-1.1"
_XML = "application/xml"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, jobs: list[bytes], objects: list[str], default_page: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.jobs, self.objects, self.default_page = jobs, objects, default_page
        self.jobs_page: Callable[[str | None, int | None], bytes | None] = functools.lru_cache(
            maxsize=None
        )(self._jobs_page)
        self.objects_page: Callable[[str | None, int], bytes | None] = functools.lru_cache(
            maxsize=None
        )(self._objects_page)

    def _jobs_page(self, token: str | None, size: int | None) -> bytes | None:
        start = 0 if token is None else _offset(token, "jobs", len(self.jobs))
        if start is None:
            return None
        end = start + (size or self.default_page)
        tail = f'],"nextToken":"{_token("jobs", end)}"}}' if end < len(self.jobs) else "]}"
        return b'{"batchSegmentJobs":[' + b",".join(self.jobs[start:end]) + tail.encode()

    def _objects_page(self, token: str | None, size: int) -> bytes | None:
        start = 0 if token is None else _offset(token, "objects", len(self.objects))
        if start is None:
            return None
        rows = self.objects[start : start + size]
        more = start + size < len(self.objects)
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult '
            'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>{BUCKET}</Name><Prefix></Prefix><KeyCount>{len(rows)}</KeyCount>"
            f"<MaxKeys>{size}</MaxKeys><IsTruncated>{str(more).lower()}</IsTruncated>"
        )
        if token:
            head += f"<ContinuationToken>{token}</ContinuationToken>"
        if more:
            head += (
                f"<NextContinuationToken>{_token('objects', start + size)}</NextContinuationToken>"
            )
        return (head + "".join(rows) + "</ListBucketResult>").encode()


class ChainServer:
    """Context manager serving JOBS personalize jobs and OBJECTS S3 keys; see `endpoint_url`."""

    def __init__(self, jobs: int = 31, objects: int = 1000, default_page: int = 100) -> None:
        rng = random.Random(20240301)
        encoded = [json.dumps(_job(rng, i), separators=(",", ":")).encode() for i in range(jobs)]
        rows = [_object_xml(rng, i) for i in range(objects)]
        self._server = _Server(encoded, rows, default_page)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def first_page(self, size: int | None = None, s3: bool = False) -> bytes:
        """The body of the first page of SIZE items, as served (the unit memory is compared to)."""
        server = self._server
        page = server.objects_page(None, size or 1000) if s3 else server.jobs_page(None, size)
        return page or b""

    def __enter__(self) -> ChainServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

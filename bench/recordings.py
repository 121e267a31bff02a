"""One chain recorded by every tool the benchmark compares, from one live endpoint.

pagetape, vcrpy and placebo each record the same personalize ListBatchSegmentJobs walk in their
own format; Stubber gets the parsed pages a live walk returned (as a test author would paste
them). vcrpy's URIs are rewritten to the real AWS endpoint, so each tool replays to a client
made with no endpoint, as a test would make it.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from pagetape.record.recording import RecordRequest, plan, record

KEY = ("AKIABENCHMARK0000000", "bench-secret-key-not-real")
REGION = "us-east-1"
SERVICE, OPERATION, METHOD, RESULT = (
    "personalize", "ListBatchSegmentJobs", "list_batch_segment_jobs", "batchSegmentJobs",
)  # fmt: skip
AWS_URL = f"https://{SERVICE}.{REGION}.amazonaws.com"
TAPE_NAME = f"{SERVICE}/{METHOD}"  # the marker's cassette name, under the cassette dir


@dataclass(frozen=True)
class Recordings:
    """Where each tool's copy of the chain lives, and the pages Stubber answers with."""

    page_size: int
    pagetape: Path  # the cassette dir: TAPE_NAME.json under it
    vcr: Path
    placebo: Path
    stub_pages: list[dict[str, Any]]

    @property
    def tape(self) -> Path:
        return self.pagetape / f"{TAPE_NAME}.json"

    def stubs(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(expected parameters, page) for each Stubber.add_response, in paginator order."""
        out = []
        for i, page in enumerate(self.stub_pages):
            expected: dict[str, Any] = {"maxResults": self.page_size}
            if i:
                expected["nextToken"] = self.stub_pages[i - 1]["nextToken"]
            out.append((expected, page))
        return out


def client(endpoint: str | None = None, session: Any = None) -> Any:
    """A personalize client with the benchmark's fake key (replays never send it anywhere)."""
    maker = session or boto3
    return maker.client(
        SERVICE, region_name=REGION, endpoint_url=endpoint,
        aws_access_key_id=KEY[0], aws_secret_access_key=KEY[1],
    )  # fmt: skip


def walk(api: Any, page_size: int | None) -> list[dict[str, Any]]:
    """Every page of the chain through botocore's paginator, as code under test would."""
    config = {"PageSize": page_size} if page_size else {}
    return list(api.get_paginator(METHOD).paginate(PaginationConfig=config))


def record_pagetape(endpoint: str, page_size: int | None, output: Path, **extra: Any) -> Any:
    """pagetape's own recording path (`pagetape record`), into OUTPUT."""
    request = RecordRequest(
        extra.pop("service", SERVICE), extra.pop("operation", OPERATION), page_size=page_size,
        region=REGION, endpoint_url=endpoint, output=str(output), credentials=KEY, **extra,
    )  # fmt: skip
    return record(plan(request))


def record_all(endpoint: str, page_size: int, base: Path) -> Recordings:
    """Record the chain at ENDPOINT once per tool into BASE."""
    record_pagetape(endpoint, page_size, base / "pagetape" / f"{TAPE_NAME}.json")
    vcr_file = base / "vcr" / "chain.yaml"
    _record_vcr(endpoint, page_size, vcr_file)
    _record_placebo(endpoint, page_size, base / "placebo")
    pages = walk(client(endpoint), page_size)
    for page in pages:
        page.pop("ResponseMetadata", None)
    return Recordings(page_size, base / "pagetape", vcr_file, base / "placebo", pages)


def _record_vcr(endpoint: str, page_size: int, path: Path) -> None:
    import vcr

    with vcr.use_cassette(str(path), record_mode="all"):
        walk(client(endpoint), page_size)
    path.write_text(path.read_text().replace(endpoint, AWS_URL))


def _record_placebo(endpoint: str, page_size: int, folder: Path) -> None:
    import placebo

    folder.mkdir(parents=True)
    session = boto3.Session()
    pill = placebo.attach(session, data_path=str(folder))
    pill.record()
    with contextlib.redirect_stdout(io.StringIO()):  # placebo 0.10 prints every datetime
        walk(client(endpoint, session), page_size)
    pill.stop()

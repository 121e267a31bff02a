"""`pagetape demo`: record the five seeded operations from the embedded sandbox account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pagetape.aws.specs import installed_botocore, operation_model
from pagetape.record.recording import RecordRequest, RecordResult, default_output, plan, record


@dataclass(frozen=True)
class Seeded:
    """One seeded operation and the page size that gives it at least three pages."""

    service: str
    operation: str
    page_size: int


SEEDED = (
    Seeded("bedrock", "ListModelImportJobs", 10),
    Seeded("cleanroomsml", "ListAudienceGenerationJobs", 10),
    Seeded("frauddetector", "GetBatchPredictionJobs", 10),
    Seeded("personalize", "ListBatchSegmentJobs", 10),
    Seeded("personalize", "ListDataDeletionJobs", 5),
)
SANDBOX_CREDENTIALS = ("AKIASANDBOXDEMO00000", "sandbox-secret-not-a-real-key")


def record_seeded(
    folder: Path,
    endpoint_url: str,
    force: bool = False,
    on_done: Callable[[RecordResult], None] | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> list[RecordResult]:
    """Record every seeded operation from ENDPOINT_URL into FOLDER/<service>/<operation>.json;
    one the installed botocore has no model of is skipped and told to ON_SKIP (its client
    would have no method to call)."""
    results = []
    for seeded in SEEDED:
        if operation_model(seeded.service, seeded.operation) is None:
            if on_skip:
                on_skip(
                    f"skipped {seeded.service} {seeded.operation}: the installed botocore "
                    f"{installed_botocore()} has no model of it (upgrade botocore to record it)"
                )
            continue
        request = RecordRequest(
            service=seeded.service,
            operation=seeded.operation,
            page_size=seeded.page_size,
            region="us-east-1",
            endpoint_url=endpoint_url,
            output=str(default_output(seeded.service, seeded.operation, folder)),
            force=force,
            credentials=SANDBOX_CREDENTIALS,
        )
        result = record(plan(request))
        if on_done:
            on_done(result)
        results.append(result)
    return results

"""Service plugins: typed specs validated on load; a broken plugin is reported by name and the
others keep working; a third party registers through the same entry-point group."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pagetape.aws.specs import OperationSpec, Registry, ServicePlugin, registry, resolve
from pagetape.errors import UnknownOperationError


def test_builtin_plugins_load_cleanly() -> None:
    reg = registry()
    assert reg.problems == []
    assert set(reg.plugins) >= {"bedrock", "cleanroomsml", "frauddetector", "personalize"}


@pytest.mark.parametrize(
    ("service", "operation", "source", "limits"),
    [
        ("frauddetector", "GetBatchPredictionJobs", "plugin frauddetector", (1, 50, 50)),
        ("personalize", "ListDataDeletionJobs", "plugin personalize", (1, 100, None)),
        ("personalize", "ListBatchSegmentJobs", "plugin personalize", (1, 100, 100)),
        ("cleanroomsml", "ListAudienceGenerationJobs", "plugin cleanroomsml", (1, 100, None)),
        ("bedrock", "ListModelImportJobs", "plugin bedrock", (1, 1000, None)),
        ("logs", "DescribeLogGroups", "botocore paginator", (1, 50, None)),
    ],
)
def test_specs_of_the_seeded_operations(
    service: str, operation: str, source: str, limits: tuple[int, int, int | None]
) -> None:
    found = resolve(service, operation)
    spec = found.spec
    assert found.source == source
    assert (spec.page_size_min, spec.page_size_max, spec.page_size_default) == limits
    assert spec.input_token and spec.output_token and spec.result_key


def test_broken_plugins_are_reported_by_name_and_skipped() -> None:
    reg = Registry()
    reg.add(
        "good",
        ServicePlugin(
            "personalize",
            [OperationSpec(operation="ListDataDeletionJobs", result_key=["dataDeletionJobs"])],
        ),
    )
    reg.add(
        "typo",
        {
            "service": "frauddetector",
            "operations": [{"operation": "GetBatchPredictionJob", "result_key": ["x"]}],
        },
    )
    reg.add("wrongtype", {"service": "bedrock", "operations": "ListModelImportJobs"})
    reg.add(
        "badmember",
        {
            "service": "cleanroomsml",
            "operations": [{"operation": "ListAudienceGenerationJobs", "result_key": ["jobs"]}],
        },
    )
    reg.add(
        "badrange",
        {
            "service": "logs",
            "operations": [
                {
                    "operation": "DescribeLogGroups",
                    "result_key": ["logGroups"],
                    "limit_key": "limit",
                    "page_size_min": 9,
                    "page_size_max": 3,
                }
            ],
        },
    )
    reg.add("noservice", {"service": "no-such-service"})
    reg.add("twice", {"service": "personalize"})
    reasons = {p.name: p.reason for p in reg.problems}
    assert set(reasons) == {"typo", "wrongtype", "badmember", "badrange", "noservice", "twice"}
    assert "no such operation" in reasons["typo"]
    assert "$.operations" in reasons["wrongtype"]
    assert "'jobs'" in reasons["badmember"]
    assert "exceeds" in reasons["badrange"]
    assert "already provided by good" in reasons["twice"]
    assert reg.find("personalize", "ListDataDeletionJobs") is not None  # the good one still works


def test_unpaginated_operation_is_refused_with_close_names() -> None:
    with pytest.raises(UnknownOperationError, match="ListSchemas"):
        resolve("personalize", "DescribeSchema")


def test_third_party_plugin_through_entry_points(tmp_path: Path) -> None:
    (tmp_path / "acme_plugin.py").write_text(
        textwrap.dedent(
            """
            PLUGIN = {
                "service": "sqs",
                "operations": [{"operation": "ListQueues", "result_key": ["QueueUrls"],
                                "input_token": ["NextToken"], "output_token": ["NextToken"],
                                "limit_key": "MaxResults", "page_size_max": 1000}],
                "field_hints": {"QueueUrls": "name"},
            }
            BROKEN = {"service": "sqs", "operations": [{"operation": "Nope", "result_key": []}]}
            """
        )
    )
    dist = tmp_path / "acme_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[pagetape.plugins]\nacme = acme_plugin:PLUGIN\nacme_broken = acme_plugin:BROKEN\n"
        "acme_missing = acme_plugin:MISSING\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "pagetape", "plugins", "--service", "sqs", "--service", "personalize"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "sqs ListQueues  [plugin acme]" in result.stdout
    assert "plugin acme_broken: broken, skipped:" in result.stdout
    assert "plugin acme_missing: broken, skipped: import failed" in result.stdout
    assert "personalize (2 operations)" in result.stdout  # the built-in ones still load

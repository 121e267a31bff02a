"""The foreign corpus (tests/data/foreign, see SOURCES.md): what each vcrpy file holds, and which
files the installed botocore cannot read (the suite also runs on the oldest botocore pyproject
allows, whose models predate some Bedrock operations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore
import pytest

from helpers import missing_model
from pagetape.aws.specs import botocore_session

VCR = Path(__file__).parent / "data" / "foreign" / "vcrpy"
FILES = sorted(str(p.relative_to(VCR)) for p in VCR.rglob("*.yaml*"))
BEDROCK = "bedrock-runtime"
# What each file holds, read off host, method, path and body (no file has a target header).
EXPECTED = {
    "cloud-custodian/default_bucket_not_found.yaml": ["s3.HeadBucket"] * 10,
    "cloud-custodian/replication_rule.yaml": ["s3.HeadBucket"] * 2,
    "cloud-custodian/test_get_bucket_region_http[govcloud-cross-region].yaml": ["s3.HeadBucket"],
    "crewai/TestBedrockMultimodalIntegration.test_analyze_pdf.yaml": [f"{BEDROCK}.Converse"],
    "crewai/test_bedrock_async_basic_call.yaml": [f"{BEDROCK}.Converse"],
    "dd-trace-py/agent_invoke_trace_disabled.yaml": ["bedrock-agent-runtime.InvokeAgent"],
    "dd-trace-py/amazon_invoke_model_arn.yaml": [f"{BEDROCK}.InvokeModel"],
    "dd-trace-py/anthropic_message_invoke_stream.yaml": [f"{BEDROCK}.InvokeModelWithResponseStream"],
    "dd-trace-py/bedrock_converse.yaml": [f"{BEDROCK}.Converse"],
    "dd-trace-py/bedrock_converse_inference_profile.yaml": ["bedrock.GetInferenceProfile",
                                                            f"{BEDROCK}.Converse"],
    "dd-trace-py/bedrock_converse_stream.yaml": [f"{BEDROCK}.ConverseStream"],
    "dd-trace-py/meta_invoke_error.yaml": [f"{BEDROCK}.InvokeModel"],
    "langchain-aws/test_agent_loop_streaming[v0].yaml.gz": [f"{BEDROCK}.ConverseStream",
                                                             f"{BEDROCK}.Converse"],
    "openinference/TestClaudeInvokeModelMessageApi.test_invoke_model.yaml": [f"{BEDROCK}.InvokeModel"],
    "openinference/TestConverseStream.test_invoke_tool_message.yaml": [f"{BEDROCK}.ConverseStream"],
    "openinference/TestNovaInvokeModelWithResponseStream.test_nova_micro_streaming.yaml": [
        f"{BEDROCK}.InvokeModelWithResponseStream"],
    "openinference/test_agent_call_without_traces.yaml": ["bedrock-agent-runtime.InvokeAgent"],
    "openinference/test_apply_guardrails.yaml": [f"{BEDROCK}.ApplyGuardrail"],
    "openinference/test_invoke_inline_agent.yaml": ["bedrock-agent-runtime.InvokeInlineAgent"],
    "openinference/test_retrieve.yaml": ["bedrock-agent-runtime.Retrieve"],
    "openinference/test_retrieve_and_generate_with_knowledge_base.yaml": [
        "bedrock-agent-runtime.RetrieveAndGenerate"],
    "openllmetry/test_anthropic_cross_region.yaml": [f"{BEDROCK}.Converse"],
    "openllmetry/test_guardrail_invoke_stream.yaml": [f"{BEDROCK}.InvokeModelWithResponseStream"],
    "openllmetry/test_sagemaker_completion_string_content_legacy.yaml": [
        "sagemaker-runtime.InvokeEndpoint"],
    "openllmetry/test_titan_converse_stream.yaml": [f"{BEDROCK}.ConverseStream"],
    "otel-contrib/test_converse_stream_handles_event_stream_error.yaml": [f"{BEDROCK}.ConverseStream"],
    "otel-contrib/test_converse_stream_with_content.yaml": [f"{BEDROCK}.ConverseStream"],
    "otel-contrib/test_converse_with_content.yaml": [f"{BEDROCK}.Converse"],
    "otel-contrib/test_converse_with_invalid_model.yaml": [f"{BEDROCK}.Converse"],
    "otel-contrib/test_invoke_model_with_content[anthropic.claude].yaml": [f"{BEDROCK}.InvokeModel"],
    "otel-contrib/test_invoke_model_with_response_stream_with_content[anthropic.claude].yaml": [
        f"{BEDROCK}.InvokeModelWithResponseStream"],
    "pydantic-ai/test_bedrock_error.yaml": [f"{BEDROCK}.Converse"],
    "pydantic-ai/test_bedrock_inference_profile_count_tokens.yaml": [f"{BEDROCK}.CountTokens"],
    "pydantic-ai/test_bedrock_model.yaml": [f"{BEDROCK}.Converse"],
    "pydantic-ai/test_bedrock_native_output_stream.yaml": [f"{BEDROCK}.ConverseStream"],
    "pystac/test_urls_with_non_ascii_characters.yaml": ["s3.GetObject"],
    "s3-file-management/test_get_list_files_max_keys.yaml": [
        "s3.ListObjectsV2", *["s3.PutObject"] * 3, *["s3.ListObjectsV2"] * 3,
        *["s3.DeleteObject"] * 3],
    "s3-file-management/test_upload_file.yaml": ["s3.PutObject"],
}  # fmt: skip


def _lacking(name: str) -> str | None:
    for call in EXPECTED[name]:
        service, operation = call.rsplit(".", 1)
        if reason := missing_model(service, operation):
            return f"{name} calls {service} {operation}: {reason}"
    return None


# Files naming an operation the installed botocore lacks, with why; every other file is read.
LACKING = {name: reason for name in FILES if (reason := _lacking(name))}


def file_params(names: list[str]) -> list[Any]:
    """The names as pytest params, each file LACKING lists skipped with its reason."""
    return [
        pytest.param(n, marks=[pytest.mark.skip(reason=LACKING[n])] if n in LACKING else [])
        for n in names
    ]


def unknown_members(doc: dict[str, Any]) -> str | None:
    """Why a sanitized cassette's first request cannot be asked again here: its JSON body holds
    members the installed model of the operation lacks, which no boto3 call can send."""
    meta, request = doc["metadata"], doc["interactions"][0]["request"]
    body = request.get("body")
    if not isinstance(body, dict):
        return None
    op = botocore_session().get_service_model(meta["service"]).operation_model(meta["operation"])
    if op.input_shape is None or op.input_shape.serialization.get("payload"):
        return None  # the body is one member's value (InvokeModel's), not members
    known = op.input_shape.members
    extra = sorted(k for k in body if k not in known)
    if not extra:
        return None
    return (
        f"botocore {botocore.__version__}'s {meta['service']} {meta['operation']} has no "
        f"{', '.join(extra)}"
    )

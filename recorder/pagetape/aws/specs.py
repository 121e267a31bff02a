"""Operation specs: how to walk one operation's page chain, from a plugin or botocore's paginator."""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from pagetape.aws import shapes
from pagetape.errors import PagetapeError, PluginError, UnknownOperationError

if TYPE_CHECKING:
    import botocore.model
    import botocore.session

ENTRY_POINT_GROUP = "pagetape.plugins"

HintKind = Literal["keep", "name", "free_text", "account_id", "token"]


class OperationSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Pagination of one operation. Tokens are member names; output tokens may be JMESPath.
    The defaults are the most common AWS convention (nextToken / maxResults)."""

    operation: str
    result_key: list[str]
    input_token: list[str] = msgspec.field(default_factory=lambda: ["nextToken"])
    output_token: list[str] = msgspec.field(default_factory=lambda: ["nextToken"])
    limit_key: str | None = "maxResults"
    more_results: str | None = None  # JMESPath; a false value ends the chain (S3 IsTruncated)
    page_size_min: int = 1
    page_size_max: int | None = None
    page_size_default: int | None = None


class ServicePlugin(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a plugin declares for one service: page chains and sanitization hints by member name."""

    service: str
    operations: list[OperationSpec] = []
    field_hints: dict[str, HintKind] = {}


@dataclass(frozen=True)
class ResolvedSpec:
    """An OperationSpec together with the service it belongs to and where it came from."""

    service: str
    spec: OperationSpec
    source: str

    @property
    def operation(self) -> str:
        return self.spec.operation


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that failed to load; reported by name, the others keep working."""

    name: str
    reason: str


@dataclass
class Registry:
    """Every loaded plugin by service, plus the problems of those that did not load."""

    plugins: dict[str, tuple[str, ServicePlugin]] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)

    def add(self, name: str, obj: Any) -> None:
        """Validate one plugin object; record a problem instead of raising."""
        try:
            plugin = to_plugin(obj)
            validate_plugin(plugin)
        except PluginError as exc:
            self.problems.append(PluginProblem(name, str(exc)))
            return
        if plugin.service in self.plugins:
            other = self.plugins[plugin.service][0]
            self.problems.append(
                PluginProblem(name, f"service {plugin.service!r} is already provided by {other}")
            )
            return
        self.plugins[plugin.service] = (name, plugin)

    def find(self, service: str, operation: str) -> ResolvedSpec | None:
        entry = self.plugins.get(service)
        if entry is None:
            return None
        name, plugin = entry
        for spec in plugin.operations:
            if spec.operation == operation:
                return ResolvedSpec(service, spec, f"plugin {name}")
        return None

    def hints(self, service: str) -> Mapping[str, HintKind]:
        entry = self.plugins.get(service)
        return entry[1].field_hints if entry else {}


def to_plugin(obj: Any) -> ServicePlugin:
    """Accept a ServicePlugin or a plain mapping; msgspec validates either with a field path."""
    if isinstance(obj, ServicePlugin):
        obj = msgspec.to_builtins(obj)
    try:
        return msgspec.convert(obj, type=ServicePlugin)
    except msgspec.ValidationError as exc:
        raise PluginError(f"invalid plugin spec: {exc}") from None


def validate_plugin(plugin: ServicePlugin) -> None:
    """Check a plugin against botocore's model so a typo fails at load, not mid-recording."""
    session = botocore_session()
    try:
        model = session.get_service_model(plugin.service)
    except Exception:
        raise PluginError(f"botocore does not know the service {plugin.service!r}") from None
    for spec in plugin.operations:
        where = f"{plugin.service}.{spec.operation}"
        if spec.operation not in model.operation_names:
            raise PluginError(f"{where}: botocore has no such operation")
        op = model.operation_model(spec.operation)
        inputs = op.input_shape.members if op.input_shape else {}
        outputs = op.output_shape.members if op.output_shape else {}
        for name in [*spec.input_token, *([spec.limit_key] if spec.limit_key else [])]:
            if name not in inputs:
                raise PluginError(f"{where}: the input has no member {name!r}")
        for name in [*spec.output_token, *spec.result_key]:
            if name.isidentifier() and name not in outputs:  # else a JMESPath expression
                raise PluginError(f"{where}: the output has no member {name!r}")
        lo, hi, default = spec.page_size_min, spec.page_size_max, spec.page_size_default
        if hi is not None and lo > hi:
            raise PluginError(f"{where}: page_size_min {lo} exceeds page_size_max {hi}")
        if default is not None and (default < lo or (hi is not None and default > hi)):
            raise PluginError(f"{where}: page_size_default {default} is outside {lo}..{hi}")


@cache
def shared_loader() -> Any:
    """One model loader for the sessions that make clients (recording, replaying tests): service
    models and endpoint rules are parsed once per process, not once per session (a manifest, a
    pytest run or the conformance sweep makes hundreds). Made without reading any config file
    (`data_path` would come from ~/.aws/config); AWS_DATA_PATH is honoured, as botocore's own
    sessions honour it."""
    return _loader_of_environment()


def _loader_of_environment() -> Any:
    """A model loader over botocore's data and AWS_DATA_PATH's folders (a private preview, an
    edited model), as a plain botocore session builds one, without reading ~/.aws/config."""
    from botocore.loaders import create_loader

    loader = create_loader(os.environ.get("AWS_DATA_PATH"))
    cached = loader.load_data

    def load_data(name: str) -> Any:
        # botocore builds a legacy-mode client's retry config by merging the service's policies
        # into the loaded `_retry` data in place: one legacy Organizations client turned every
        # later client's `too_many_requests` (429) into Organizations' 400 rule, so a 429
        # throttle was not retried in the next test. Each client gets its own copy.
        data = cached(name)
        return copy.deepcopy(data) if name == "_retry" else data

    loader.load_data = load_data
    return loader


@cache
def botocore_session() -> botocore.session.Session:
    """One botocore session for model lookups, on a loader of its own: clients' handlers edit
    the models they load in place (S3 drops `/{Bucket}` from every request URI), and lookups
    must see the models as published. Registered up front, so looking up a model never reads
    ~/.aws/config (replay must not); AWS_DATA_PATH is honoured, so lookups and clients see
    the same models."""
    import botocore.session

    session = botocore.session.Session()
    session.register_component("data_loader", _loader_of_environment())
    return session


def installed_botocore() -> str:
    """The installed botocore's version, for messages about models it lacks."""
    import botocore

    return str(botocore.__version__)


def snake_case(operation: str) -> str:
    """botocore's own name transform: ListBatchSegmentJobs -> list_batch_segment_jobs."""
    from botocore import xform_name

    return str(xform_name(operation))


def service_model(service: str) -> botocore.model.ServiceModel | None:
    """SERVICE's published model; None when botocore has none (a name from a foreign fixture,
    a service newer than the installed botocore)."""
    from botocore.exceptions import BotoCoreError

    try:
        return botocore_session().get_service_model(service)
    except (BotoCoreError, ValueError):
        return None


def operation_model(service: str, operation: str) -> botocore.model.OperationModel | None:
    """The published model of one operation; None when its service or itself is unknown."""
    model = service_model(service)
    if model is None or operation not in model.operation_names:
        return None
    return model.operation_model(operation)


@cache
def registry() -> Registry:
    """Load every plugin of the entry-point group, built-in ones included, the same way."""
    reg = Registry()
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as exc:
            reg.problems.append(PluginProblem(ep.name, f"import failed: {exc!r}"))
            continue
        reg.add(ep.name, obj)
    return reg


def squash(name: str) -> str:
    """NAME as the spellings of an operation (or service) compare: no dashes, underscores,
    blanks or capitals."""
    return re.sub(r"[-_\s]", "", name).lower()


def resolve_service(service: str) -> str:
    """The boto3 service name, or an error naming the closest ones."""
    available = botocore_session().get_available_services()
    if service in available:
        return service
    lowered = service.lower()
    if lowered in available:
        return lowered
    close = difflib.get_close_matches(lowered, available, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownOperationError(f"unknown AWS service {service!r}{hint}")


def resolve_operation_name(model: botocore.model.ServiceModel, operation: str) -> str:
    """Accept ListBatchSegmentJobs, list-batch-segment-jobs or list_batch_segment_jobs."""
    by_squash: dict[str, str] = {squash(name): name for name in model.operation_names}
    found = by_squash.get(squash(operation))
    if found:
        return found
    close = difflib.get_close_matches(squash(operation), list(by_squash), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(by_squash[c] for c in close)}?" if close else ""
    raise UnknownOperationError(f"{model.service_name} has no operation {operation!r}{hint}")


def _paginator_spec(service: str, operation: str) -> OperationSpec | None:
    try:
        config = botocore_session().get_paginator_model(service).get_paginator(operation)
    except Exception:
        return None

    def as_list(value: Any) -> list[str]:
        return [value] if isinstance(value, str) else list(value)

    return OperationSpec(
        operation=operation,
        input_token=as_list(config["input_token"]),
        output_token=as_list(config["output_token"]),
        result_key=as_list(config.get("result_key", [])),
        limit_key=config.get("limit_key"),
        more_results=config.get("more_results"),
    )


def _with_model_limits(spec: OperationSpec, op: botocore.model.OperationModel) -> OperationSpec:
    """Fill the page-size range from the limit member's min/max when the spec leaves it open."""
    if not spec.limit_key or op.input_shape is None:
        return spec
    shape = op.input_shape.members.get(spec.limit_key)
    if shape is None or shape.type_name not in ("integer", "long"):
        return spec  # a string limit (Route 53 MaxItems): min/max are lengths, not sizes
    meta = shape.metadata
    return msgspec.structs.replace(
        spec,
        page_size_min=max(spec.page_size_min, int(meta.get("min", 1))),
        page_size_max=spec.page_size_max if spec.page_size_max is not None else meta.get("max"),
    )


def resolve(service: str, operation: str) -> ResolvedSpec:
    """The spec for SERVICE OPERATION: a plugin's first, else botocore's paginator, else an error."""
    service = resolve_service(service)
    model = botocore_session().get_service_model(service)
    name = resolve_operation_name(model, operation)
    reg = registry()
    found = reg.find(service, name)
    op = model.operation_model(name)
    if found is not None:
        return ResolvedSpec(service, _with_model_limits(found.spec, op), found.source)
    spec = _paginator_spec(service, name)
    if spec is None:
        paginated = [n for n in model.operation_names if _paginator_spec(service, n)]
        plugin_ops = [
            s.operation
            for s in reg.plugins.get(service, ("", ServicePlugin(service)))[1].operations
        ]
        candidates = sorted(set(paginated) | set(plugin_ops))
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
        hint = f"; paginated operations close to it: {', '.join(close)}" if close else ""
        raise UnknownOperationError(
            f"{service} {name} cannot be recorded: botocore has no paginator for it and no "
            f"pagetape plugin describes it{hint}"
        )
    return ResolvedSpec(service, _with_model_limits(spec, op), "botocore paginator")


def recordable(services: list[str] | None = None) -> list[ResolvedSpec]:
    """Every operation pagetape can record: all plugin specs and every botocore paginator."""
    session = botocore_session()
    reg = registry()
    out: list[ResolvedSpec] = []
    for service in services or session.get_available_services():
        try:
            loader = session.get_component("data_loader")
            names = set(loader.load_service_model(service, "paginators-1")["pagination"])
        except Exception:
            names = set()
        plugin_ops = (
            {s.operation for s in reg.plugins[service][1].operations}
            if service in reg.plugins
            else set()
        )
        for name in sorted(set(names) | plugin_ops):
            found = reg.find(service, name)
            if found is not None:
                out.append(found)
            else:
                spec = _paginator_spec(service, name)
                if spec is not None:
                    out.append(ResolvedSpec(service, spec, "botocore paginator"))
    return out


COMMON_TOKENS = frozenset(
    {
        "nextToken", "NextToken", "Marker", "NextMarker", "ContinuationToken",
        "NextContinuationToken", "PaginationToken", "NextPageToken", "StartingToken",
        "paginationToken", "nextPageToken", "marker", "nextMarker",
    }
)  # fmt: skip


@cache
def token_names(service: str, operation: str) -> tuple[frozenset[str], frozenset[str]]:
    """(input, output) token member names of an operation: its spec's simple names, else the
    names AWS commonly uses. Shared by the sanitizer, `show` and `verify`."""
    try:
        spec = resolve(service, operation).spec
        op = botocore_session().get_service_model(service).operation_model(operation)
    except PagetapeError:
        return COMMON_TOKENS, COMMON_TOKENS
    inputs = op.input_shape.members if op.input_shape else {}
    wire = {  # S3's ContinuationToken travels as ?continuation-token=
        shapes.wire_name(t, inputs[t]) for t in spec.input_token if t in inputs
    }
    return (
        frozenset(t for t in spec.input_token if t.isidentifier()) | wire | COMMON_TOKENS,
        frozenset(t for t in spec.output_token if t.isidentifier()) | COMMON_TOKENS,
    )


def advance(params: dict[str, Any], spec: OperationSpec, tokens: Sequence[Any]) -> None:
    """Put the next page's tokens into PARAMS (and drop the ones the last page left empty)."""
    for name, token in zip(spec.input_token, tokens, strict=False):
        if token:
            params[name] = token
        else:
            params.pop(name, None)

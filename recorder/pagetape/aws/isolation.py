"""The environment a replaying test runs in: no real credentials, no ~/.aws files, no IMDS, the
cassette's region, and a fresh boto3 default session, all restored afterwards.

Fresh means a new credential and config view per test, never a new model load: the session's
loader is the process's shared one (service models and endpoint rules parsed once), and its
builtin event handlers are copied from a template instead of registered one by one. Both are
what made each replaying test cost ~120 ms instead of a few."""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator
from typing import Any

from pagetape.aws.specs import shared_loader

REPLAY_CREDENTIALS = ("PAGETAPEREPLAYKEY000", "pagetape-replay-not-a-secret")

_UNSET = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_ENDPOINT_URL", "AWS_REGION",
)  # fmt: skip


def _replay_defaults(region: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": REPLAY_CREDENTIALS[0],
        "AWS_SECRET_ACCESS_KEY": REPLAY_CREDENTIALS[1],
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": region,
    }


@contextlib.contextmanager
def isolated_environment(region: str) -> Iterator[None]:
    """No real credentials, no ~/.aws files, no IMDS, the cassette's region; all restored after.

    boto3's default session is replaced by a fresh one, so `boto3.client(...)` inside sees this
    environment."""
    saved = dict(os.environ)
    import boto3

    saved_session = boto3.DEFAULT_SESSION
    for key in list(os.environ):
        if key in _UNSET or key.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[key]
    os.environ.update(_replay_defaults(region))
    boto3.DEFAULT_SESSION = fresh_session()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        boto3.DEFAULT_SESSION = saved_session


def complete_environment(region: str) -> None:
    """Inside isolated_environment: put back the replay defaults a later fixture removed (a
    conftest that clears AWS_* after the tape started), never overriding one it set."""
    missing = {k: v for k, v in _replay_defaults(region).items() if k not in os.environ}
    if "AWS_REGION" in os.environ:
        missing.pop("AWS_DEFAULT_REGION", None)
    if "AWS_ACCESS_KEY_ID" in os.environ or "AWS_PROFILE" in os.environ:
        missing.pop("AWS_ACCESS_KEY_ID", None)
        missing.pop("AWS_SECRET_ACCESS_KEY", None)
    if missing:
        import boto3

        os.environ.update(missing)
        boto3.DEFAULT_SESSION = fresh_session()  # it may have read the emptied environment


def fresh_session(**options: Any) -> Any:
    """A new boto3 session (its own credentials, config and handlers) on the shared models: the
    one builder of sessions that make clients (recording, replay's default session).

    OPTIONS go to `boto3.Session` (profile_name, region_name, keys); what they leave out is
    read lazily from the environment, as boto3's own default session would read it."""
    import boto3
    import botocore.session

    handlers = _builtin_handlers()
    core = botocore.session.Session(event_hooks=handlers, include_builtin_handlers=handlers is None)
    loader = shared_loader()
    core.register_component("data_loader", loader)
    paths = list(loader.search_paths)
    session = boto3.Session(botocore_session=core, **options)
    # boto3 appends its resource data folder on every session; once is enough on a shared loader.
    loader.search_paths[:] = list(dict.fromkeys(paths + loader.search_paths))
    return session


def _builtin_handlers() -> Any:
    """A copy of an emitter holding botocore's builtin handlers (ours among them), as
    `Session(include_builtin_handlers=True)` would register them: copying is ~20x cheaper. The
    template is rebuilt when the builtin list changed since it was made."""
    import botocore.handlers
    import botocore.session

    builtin = botocore.handlers.BUILTIN_HANDLERS
    stamp = (len(builtin), id(builtin[-1]) if builtin else 0)
    if _template.get("stamp") != stamp:
        made = botocore.session.Session()
        emitter = getattr(made, "_original_handler", None)
        if emitter is None:  # a botocore without it: no template, sessions register as usual
            return None
        _template.update(stamp=stamp, emitter=emitter)
    return copy.copy(_template["emitter"])


_template: dict[str, Any] = {}

"""Typed errors. Library code raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class PagetapeError(Exception):
    """Base of every error pagetape raises on purpose; the message is one sentence for a human."""

    exit_code = 1


class UsageError(PagetapeError):
    """The caller asked for something invalid (bad name, bad value): exit code 2."""

    exit_code = 2


class UnknownOperationError(UsageError):
    """Neither a plugin nor botocore knows how to paginate the operation."""


class ParameterError(UsageError):
    """A parameter name or value does not fit the operation's input shape."""


class CassetteError(UsageError):
    """A cassette file is missing, malformed or of an unknown version."""


class CassetteExistsError(UsageError):
    """Recording would overwrite a cassette and --force was not given."""


class PluginError(PagetapeError):
    """A service plugin could not be loaded or its specs are invalid."""


class RecordingError(PagetapeError):
    """The live chain failed (service error, connection lost, repeated token): exit code 1."""


class LeakError(PagetapeError):
    """An original sensitive value survived sanitization; nothing was written."""


class ReplayMissError(PagetapeError, AssertionError):
    """A request the cassette does not hold. An AssertionError too, so pytest reports it as a
    test failure; the tape also remembers it in case the code under test swallows it."""


class NetworkBlockedError(PagetapeError, AssertionError):
    """A test opened a socket outside a tape under --pagetape-block-network."""


class NotExhaustedError(PagetapeError, AssertionError):
    """`assert_exhausted()`: recorded pages were never requested."""


class ManifestError(UsageError):
    """A batch manifest is missing, not TOML, or has a bad field or entry: exit code 2."""


class CassetteRaceError(PagetapeError):
    """Another writer created the cassette first (no --force): exit code 1, nothing written."""


class FaultError(UsageError):
    """An injected fault that is malformed (unknown kind, bad count), cannot fire on this tape
    (a page beyond the recorded chain), or never fired while the test ran."""

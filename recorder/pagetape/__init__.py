"""pagetape: record AWS paginated list calls into sanitized cassettes and replay them offline."""

__version__ = "0.1.0"

# pytest record modes; here so the plugin can name them without importing the engine.
# `rewrite` is `all` under the name pytest-recording users know: re-record every cassette.
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")


def __getattr__(name: str) -> object:
    """`pagetape.fault(...)` and `pagetape.Fault` for markers, imported on first use only."""
    if name in ("fault", "Fault"):
        from pagetape.replay import faults

        return getattr(faults, name)
    raise AttributeError(f"module 'pagetape' has no attribute {name!r}")

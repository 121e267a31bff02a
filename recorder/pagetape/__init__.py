"""pagetape: record AWS paginated list calls into sanitized cassettes and replay them offline."""

__version__ = "0.1.0"

# pytest record modes; here so the plugin can name them without importing the engine.
# `rewrite` is `all` under the name pytest-recording users know: re-record every cassette.
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")

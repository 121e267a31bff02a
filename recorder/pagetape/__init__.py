"""pagetape: record AWS paginated list calls into sanitized cassettes and replay them offline."""

__version__ = "0.1.0"

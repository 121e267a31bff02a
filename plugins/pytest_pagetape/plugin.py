"""pytest glue for pagetape. It imports nothing heavy at load time: tests that do not use a tape
pay nothing."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pagetape(*cassettes): replay these cassettes (relative to the cassette dir)"
    )

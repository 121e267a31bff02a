"""Embedded sandbox AWS account: record pagination chains without touching real AWS."""

from .data import SandboxAccount, build_account
from .server import Faults, Sandbox

__all__ = ["Faults", "Sandbox", "SandboxAccount", "build_account"]

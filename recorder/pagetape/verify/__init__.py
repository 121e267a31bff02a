"""The lint of cassettes and foreign fixtures: leaks, consistency, format."""

"""Offline replay: the index, matching a request to a page, repaging, the botocore hooks, injected
faults and their unslept backoff, a test's tape."""

"""Offline replay: the index, matching a request to a page, repaging, the botocore hook, a test's tape."""

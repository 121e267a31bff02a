"""Default-deny sanitization: rules, detection, pseudonyms, the rewriter, the walk over an exchange, the leak proof, the write of a sanitized cassette."""

"""Live recording: capture of botocore traffic, the paginated walk, manifests."""

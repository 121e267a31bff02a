"""The cassette file: its schema, reading it, writing it atomically."""

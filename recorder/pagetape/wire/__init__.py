"""HTTP as botocore speaks it, per protocol: body codecs, serialization, event streams, request keys and views, the chain view of a cassette."""

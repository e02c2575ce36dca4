"""indexing operations (being written)."""

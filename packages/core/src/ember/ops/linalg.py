"""linalg operations (being written)."""

"""activation operations (being written)."""

"""sorting operations (being written)."""

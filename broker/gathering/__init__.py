"""Gather once: fetch a child's records under permission, store them sealed, serve them again."""

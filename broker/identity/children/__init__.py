"""Finding a child or young person among the people the broker knows, for staff."""

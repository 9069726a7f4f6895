"""Tables of this domain (filled in by its migration)."""

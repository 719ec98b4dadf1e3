"""Admin pages for the organisation (being built)."""
PAGES: list = []

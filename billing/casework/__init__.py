"""Finance's casework on one contribution: the case page's read model, the single-item actions (retry,
offline payment, waiver with maker-checker, mandate suspend/resume, reminder, note) and their API."""

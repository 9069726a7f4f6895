"""APScheduler wiring. The scheduler runs in its own process (``billing scheduler``) and only hands
work off: it creates and plans runs; ``billing worker`` processes do the charging."""

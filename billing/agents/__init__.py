"""Perisai agents ("Penggerak Jaminan Sosial Indonesia"): staff users of role ``agent`` who enrol workers
on the spot and collect their contributions in cash, earning a commission on what they collect; finance
records the cash they remit."""

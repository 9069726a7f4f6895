"""CSV cells that a spreadsheet shows as text: one starting with =, +, -, @, a tab or a carriage return
would be run as a formula (CSV injection), so it gets a leading apostrophe."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text

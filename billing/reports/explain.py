"""The reports in a few sentences, Indonesian and English, made only from the figures in the report
itself: the text cannot say anything the tables do not."""

from decimal import Decimal

from billing.reports import labels
from billing.reports.fmt import dec, month_name, month_range, num, pct
from billing.reports.schemas import Bilingual, ChurnReport, CoverageRegion
from billing.timeutil import parse_period

Pair = tuple[str, str]


def _join(items: list[str], lang: str) -> str:
    last = " dan " if lang == "id" else " and "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def _both(make) -> Pair:  # type: ignore[no-untyped-def]
    return make("id"), make("en")


def _bilingual(sentences: list[Pair]) -> Bilingual:
    return Bilingual(id=" ".join(s[0] for s in sentences), en=" ".join(s[1] for s in sentences))


def _change(r: ChurnReport) -> Pair:
    w, name = r.waterfall, r.region.name
    opening, closing = w.check.opening, w.check.closing
    period = _both(lambda lang: month_range(parse_period(r.first_month), parse_period(r.last_month), lang))
    if opening == 0:
        return (
            f"Peserta aktif {name} bertambah dari 0 menjadi {num(closing, 'id')} pada {period[0]}.",
            f"Active participants in {name} grew from 0 to {num(closing, 'en')} in {period[1]}.",
        )
    if w.change == 0:
        return (
            f"Peserta aktif {name} tetap {num(opening, 'id')} pada {period[0]}.",
            f"Active participants in {name} stayed at {num(opening, 'en')} in {period[1]}.",
        )
    size = abs(w.change_pct or Decimal(0))
    verb = ("turun", "fell") if w.change < 0 else ("naik", "rose")
    return (
        f"Peserta aktif {name} {verb[0]} {pct(size, 'id')} ({num(opening, 'id')} → {num(closing, 'id')}) "
        f"pada {period[0]}.",
        f"Active participants in {name} {verb[1]} {pct(size, 'en')} ({num(opening, 'en')} → {num(closing, 'en')}) "
        f"in {period[1]}.",
    )


# How each move reads in a list: (Indonesian, English).
_FLOW_WORDS = {
    "activated": ("peserta baru", "new"),
    "reactivated": ("aktif kembali", "reactivated"),
    "recovered": ("pulih dari tunggakan", "recovered from arrears"),
    "entered_arrears": ("mulai menunggak", "entered arrears"),
    "ended": ("berakhir", "ended"),
    "cancelled": ("berhenti sukarela", "cancelled voluntarily"),
    "sponsor_stopped": ("karena sponsor berhenti membayar", "because a sponsor stopped paying"),
}


def _flows(r: ChurnReport) -> Pair | None:
    """ "In 44: 10 new, …; out 78: 54 entered arrears, …", leaving out the moves that did not happen."""
    counts = {s.key: s.count for s in r.waterfall.steps}
    check = r.waterfall.check
    halves: dict[str, list[str]] = {"id": [], "en": []}
    for lang, (head_in, head_out) in (("id", ("Masuk", "keluar")), ("en", ("In", "out"))):
        i = 0 if lang == "id" else 1
        for head, total, keys in ((head_in, check.ins, labels.INS), (head_out, check.outs, labels.OUTS)):
            items = [f"{num(counts[k], lang)} {_FLOW_WORDS[k][i]}" for k in keys if counts[k]]
            if items:
                halves[lang].append(f"{head} {num(total, lang)}: {_join(items, lang)}")
    if not halves["id"]:
        return None
    text_id, text_en = "; ".join(halves["id"]) + ".", "; ".join(halves["en"]) + "."
    return text_id[0].upper() + text_id[1:], text_en[0].upper() + text_en[1:]


def _causes(r: ChurnReport) -> Pair | None:
    rows = [row for row in _rows(r, "cause") if row.lapses > 0][:3]
    if not rows:
        return None
    lapses = r.waterfall.check.outs
    id_parts = [f"{pct(row.share_pct, 'id')} karena {row.label_id}" for row in rows]
    en_parts = [f"{row.label_en} {pct(row.share_pct, 'en')}" for row in rows]
    return (
        f"Dari {num(lapses, 'id')} kali peserta keluar dari status aktif, {_join(id_parts, 'id')}.",
        f"Causes of the {num(lapses, 'en')} lapses from active: {_join(en_parts, 'en')}.",
    )


def _sponsors(r: ChurnReport) -> Pair | None:
    """The sponsors that stopped paying, the three that left the most participants first."""
    rows = sorted((x for x in _rows(r, "sponsor") if x.sponsor_stopped), key=lambda x: (-x.sponsor_stopped, x.value))
    if not rows:
        return None
    named = _both(lambda lang: _join([f"{x.label_id} ({num(x.sponsor_stopped, lang)})" for x in rows[:3]], lang))
    total = sum(x.sponsor_stopped for x in rows)
    if len(rows) == 1:
        return (
            f"{rows[0].label_id} berhenti membayar untuk {num(total, 'id')} peserta aktif.",
            f"{rows[0].label_en} stopped paying for {num(total, 'en')} active participants.",
        )
    return (
        f"{num(len(rows), 'id')} sponsor berhenti membayar untuk {num(total, 'id')} peserta aktif, "
        f"terbanyak {named[0]}.",
        f"{num(len(rows), 'en')} sponsors stopped paying for {num(total, 'en')} active participants, most of them "
        f"{named[1]}.",
    )


def _ended_from_arrears(r: ChurnReport) -> Pair | None:
    n = next(s.count for s in r.waterfall.info if s.key == "ended_from_arrears")
    if n == 0:
        return None
    return (
        f"Selain itu {num(n, 'id')} kepesertaan berakhir setelah menunggak; mereka sudah keluar dari aktif saat "
        "mulai menunggak.",
        f"Besides, {num(n, 'en')} memberships ended after arrears; they had left active when the arrears began.",
    )


def _regions(r: ChurnReport) -> Pair | None:
    change = r.waterfall.change
    movers = [x for x in r.regions if x.change != 0 and (x.change < 0) == (change < 0)]
    if change == 0 or len(r.regions) < 2 or not movers:
        return None
    top = sorted(movers, key=lambda x: (-abs(x.change), x.region.code))[:3]
    parts = _both(
        lambda lang: ", ".join(
            f"{x.region.name} ({num(x.change, lang)}; {pct(x.share_of_change_pct, lang)})" for x in top
        )
    )
    if change < 0:
        return f"Penyumbang penurunan terbesar: {parts[0]}.", f"Largest contributors to the fall: {parts[1]}."
    return f"Penyumbang kenaikan terbesar: {parts[0]}.", f"Largest contributors to the rise: {parts[1]}."


def _recovery(r: ChurnReport) -> Pair | None:
    rec = r.recovery
    if rec.failed_first == 0:
        return None
    return (
        f"{num(rec.failed_first, 'id')} debit pertama gagal; {num(rec.recovered, 'id')} di antaranya "
        f"({pct(rec.recovery_pct, 'id')}) kemudian terbayar.",
        f"{num(rec.failed_first, 'en')} first debits failed; {num(rec.recovered, 'en')} of them "
        f"({pct(rec.recovery_pct, 'en')}) were paid later.",
    )


def _rows(r: ChurnReport, dimension: str):  # type: ignore[no-untyped-def]
    return next(b.rows for b in r.breakdowns if b.dimension == dimension)


def churn_text(r: ChurnReport) -> Bilingual:
    parts = [_change(r), _flows(r), _causes(r), _sponsors(r), _ended_from_arrears(r), _regions(r), _recovery(r)]
    return _bilingual([p for p in parts if p is not None])


def coverage_text(regions: list[CoverageRegion]) -> Bilingual:
    own = regions[0]
    name, end, start = own.region.name, own.months[-1], own.months[0]
    last_month = parse_period(end.month)
    when = _both(lambda lang: month_name(last_month, lang))
    if end.coverage_pct is None:
        return _bilingual(
            [
                (
                    f"Jumlah pekerja potensial {name} untuk {last_month.year} belum tersedia, sehingga cakupan belum "
                    f"dapat dihitung; peserta aktif akhir {when[0]}: {num(end.active, 'id')}.",
                    f"Potential workers of {name} for {last_month.year} are not loaded yet, so coverage cannot be "
                    f"computed; active participants at the end of {when[1]}: {num(end.active, 'en')}.",
                )
            ]
        )
    assert end.potential_workers is not None
    sentences = [
        (
            f"Cakupan kepesertaan {name} pada akhir {when[0]}: {pct(end.coverage_pct, 'id')} "
            f"({num(end.active, 'id')} peserta aktif dari {num(end.potential_workers, 'id')} pekerja potensial).",
            f"Coverage in {name} at the end of {when[1]}: {pct(end.coverage_pct, 'en')} "
            f"({num(end.active, 'en')} active participants of {num(end.potential_workers, 'en')} potential workers).",
        )
    ]
    if end.target_pct is not None and end.gap_pct is not None and end.gap_participants is not None:
        if end.gap_pct > 0:
            sentences.append(
                (
                    f"Target {pct(end.target_pct, 'id')}: kurang {dec(end.gap_pct, 'id')} poin, atau "
                    f"{num(end.gap_participants, 'id')} peserta aktif lagi.",
                    f"Target {pct(end.target_pct, 'en')}: {dec(end.gap_pct, 'en')} points short, or "
                    f"{num(end.gap_participants, 'en')} more active participants.",
                )
            )
        else:
            sentences.append(
                (
                    f"Target {pct(end.target_pct, 'id')} sudah tercapai.",
                    f"The {pct(end.target_pct, 'en')} target is met.",
                )
            )
    if len(own.months) > 1 and own.trend_pp is not None:
        since = _both(lambda lang: month_name(parse_period(start.month), lang))
        if own.trend_pp == 0:
            verb = ("tetap", "unchanged")
        else:
            size, up = abs(own.trend_pp), own.trend_pp > 0
            verb = (
                f"{'naik' if up else 'turun'} {dec(size, 'id')} poin",
                f"{'up' if up else 'down'} {dec(size, 'en')} points",
            )
        sentences.append(
            (
                f"Sejak akhir {since[0]}: {verb[0]} ({num(start.active, 'id')} → {num(end.active, 'id')} "
                "peserta aktif).",
                f"Since the end of {since[1]}: {verb[1]} ({num(start.active, 'en')} → {num(end.active, 'en')} "
                "active participants).",
            )
        )
    ranked = sorted(
        (x for x in regions[1:] if x.months[-1].coverage_pct is not None),
        key=lambda x: (x.months[-1].coverage_pct, x.region.code),
    )
    if len(ranked) >= 2:
        hi, lo = ranked[-1], ranked[0]
        sentences.append(
            (
                f"Tertinggi: {hi.region.name} {pct(hi.months[-1].coverage_pct, 'id')}; terendah: {lo.region.name} "
                f"{pct(lo.months[-1].coverage_pct, 'id')}.",
                f"Highest: {hi.region.name} {pct(hi.months[-1].coverage_pct, 'en')}; lowest: {lo.region.name} "
                f"{pct(lo.months[-1].coverage_pct, 'en')}.",
            )
        )
    return _bilingual(sentences)

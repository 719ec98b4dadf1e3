"""What the rectification pages read (plain rows and tables, nothing of HTTP):
units with their defects, a defect or a notice with everything its page shows,
and each defect's photos of the current round. A constant number of queries
per page, whatever the number of units or defects.
"""
from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any, Awaitable, Callable

from piccolo.query.functions.aggregate import Min

from server.db import ids_in
from server.inspections.selectors import as_rows, defect_filters
from server.inspections.tables import Defect, DefectCheck, Inspection, NoticeDelivery, Recheck, RectificationNotice
from server.org.tables import Building, Party, Unit, UnitType
from server.pagination import count_up_to
from server.photos.tables import Photo


TASK_STATUSES = ("open", "rectified", "closed", "all")


async def task_filters(user: Any, *, status: str | None, project_id: int | None, building_id: int | None,
                       overdue: bool) -> tuple[Any, dict]:
    """The contractor's task list (/tasks) as its query asks: (where-clause, the filters in force for links).
    Defects with a notice (work handed over), seen by this user; an unknown status is "open". Its Excel
    download (server/reports/) reads the same, so the file holds exactly what the list shows."""
    status = status if status in TASK_STATUSES else "open"
    where = defect_filters(user, status=None if status == "all" else status, overdue=overdue) \
        & Defect.notice.is_not_null()
    if building_id:
        where &= Defect.unit.is_in(Unit.select(Unit.id).where(Unit.building == building_id))
    elif project_id:
        # The project's buildings named, not a subquery: PostgreSQL then finds their units through
        # unit_building, where it read all 100,000 units (38 ms of a project's task list, bench/inspections.py).
        buildings = [r["id"] for r in await Building.select(Building.id).where(Building.project == project_id).run()]
        where &= Defect.unit.is_in(Unit.select(Unit.id).where(Unit.building.is_in(buildings or [-1])))
    filters = {k: v for k, v in (("status", status), ("project", project_id), ("building", building_id),
                                 ("overdue", "1" if overdue else None)) if v}
    return where, filters


async def units_of(ids: list[int]) -> dict[int, dict]:
    rows = await Unit.select(Unit.id, Unit.number, Unit.unit_type, Unit.building.name.as_alias("building"),
                             Unit.building.project.name.as_alias("project")).where(Unit.id.is_in(ids or [-1])).run()
    return {r["id"]: r for r in rows}


ROUND_PHOTO_COLUMNS = (Photo.id, Photo.subject_id, Photo.stage, Photo.status, Photo.width, Photo.height,
                       Photo.created_at)


async def round_photos(rows: list[Defect]) -> dict[int, dict[str, list]]:
    """Each defect's before photos, and its after photos of the current round
    (taken since its last failed recheck): {"found": [...], "rectified": [...]}."""
    ids = [d.id for d in rows]
    # What the pages draw of a photo, as plain rows: a page of 100 defects has ~200 photos, and the API's
    # full photo (photos_by_subject: every column, URLs) cost a quarter of a check list's request.
    photos: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for row in await Photo.select(*ROUND_PHOTO_COLUMNS).where(
            (Photo.subject_type == "defect") & ids_in(Photo.subject_id, ids)).order_by(Photo.id).run():
        photos[row["subject_id"]].append(SimpleNamespace(**row))
    # Failed rechecks are few (one per reopening); the last one per defect wins.
    # (Not MAX(): SQLite would answer the timestamp as text.)
    fails = {r["defect"]: r["created_at"] for r in await Recheck.select(Recheck.defect, Recheck.created_at).where(
        ids_in(Recheck.defect, ids) & (Recheck.result == "fail")).order_by(Recheck.id).run()}
    out = {}
    for d in rows:
        since = fails.get(d.id)
        out[d.id] = {"found": [p for p in photos.get(d.id, []) if p.stage == "found"],
                     "rectified": [p for p in photos.get(d.id, []) if p.stage == "rectified"
                                   and (since is None or p.created_at >= since)]}
    return out


UNIT_COUNT_BOUND = 500
"""A grouped list counts its units up to this many, then says "more than" (pagination.count_up_to): counting
the distinct units of every matching defect read them all (bench/inspections.py)."""


async def units_in_order(where: Any, wanted: int, *, open_first: bool = True) -> list[int]:
    """The first `wanted` units having defects that match `where`, in the task lists' order: units with an
    open defect first, by its earliest deadline; then the others by their earliest deadline; then those whose
    defects have none, by unit. Units whose earliest deadlines are equal come in the order their defects
    were recorded.

    Found by walking the matching defects in deadline order and taking each unit where it first appears
    (that is where its earliest deadline is), tier by tier, reading only as many defects as the page needs:
    grouping every matching defect (GROUP BY unit) cost 80-240 ms on 20,000 homes and grew with the data.
    A later tier may only start once the earlier ones were read to their end, since a unit placed earlier is
    skipped in it. `open_first=False` when `where` holds no open defect (the recheck queue): the first tier
    would be empty, and PostgreSQL still read the whole status to find that out."""
    tiers = [
        (where & (Defect.status == "open") & Defect.deadline.is_not_null(), (Defect.deadline, Defect.id)),
        (where & Defect.deadline.is_not_null(), (Defect.deadline, Defect.id)),
        (where, (Defect.unit,)),
    ][0 if open_first else 1:]
    placed: list[int] = []
    for condition, order in tiers:
        before = len(placed)
        rows_wanted = max(64, (wanted - before) * 8)
        while True:
            rows = await Defect.select(Defect.unit).where(condition).order_by(*order).limit(rows_wanted).run()
            seen = set(placed[:before])
            del placed[before:]
            for row in rows:
                if row["unit"] not in seen:
                    seen.add(row["unit"])
                    placed.append(row["unit"])
            if len(placed) >= wanted:
                return placed[:wanted]
            if len(rows) < rows_wanted:
                break  # this tier read to its end: the next one may start
            rows_wanted *= 4
    return placed


LIST_COLUMNS = (Defect.id, Defect.unit, Defect.room, Defect.category, Defect.severity, Defect.description,
                Defect.status, Defect.reopen_count, Defect.deadline, Defect.rectify_note)
"""What a grouped list draws of a defect (pages_defect_rows.defect_row, the recheck card): a page reads 100
defects, and the other columns (six timestamps, two decimals, a UUID) cost their conversion each."""


async def first_photos(rows: list[Any]) -> dict[int, dict[str, list]]:
    """Each defect's first before photo, all a task or check list shows of them, in round_photos' shape
    ({"found": [it], "rectified": []}): one row a defect instead of every photo, and no rechecks read."""
    firsts = Photo.select(Min(Photo.id)).where(
        (Photo.subject_type == "defect") & (Photo.stage == "found") & ids_in(Photo.subject_id, [d.id for d in rows])
    ).group_by(Photo.subject_id)
    found = {row["subject_id"]: SimpleNamespace(**row)
             for row in await Photo.select(*ROUND_PHOTO_COLUMNS).where(Photo.id.is_in(firsts)).run()}
    return {d.id: {"found": [found[d.id]] if d.id in found else [], "rectified": []} for d in rows}


async def grouped_defects(where: Any, page: Any, *, open_first: bool = True,
                          photos: Callable[[list[Any]], Awaitable[dict]] = round_photos) -> dict:
    """A page of units having defects that match `where` (in `units_in_order`'s order), each unit with those
    defects and their `photos` (round_photos, or first_photos for a list that shows one); the units
    counted up to UNIT_COUNT_BOUND (`total_is_lower_bound` beyond)."""
    # The distinct units of the matching defects, read until the bound: not `unit IN (SELECT unit …)`, which
    # SQLite answered by first listing every matching defect.
    matching_units = Defect.select(Defect.unit).where(where).distinct()
    total, lower_bound = await count_up_to(matching_units, max(UNIT_COUNT_BOUND, page.offset + page.limit))
    unit_ids = (await units_in_order(where, page.offset + page.limit, open_first=open_first))[page.offset:]
    found = as_rows(await Defect.select(*LIST_COLUMNS).where(where & Defect.unit.is_in(unit_ids or [-1])).order_by(
        Defect.deadline).order_by(Defect.id).run())
    units = await units_of(unit_ids)
    groups = [(units[u], [d for d in found if d.unit == u]) for u in unit_ids if u in units]
    return {"groups": groups, "total": total, "total_is_lower_bound": lower_bound, "limit": page.limit,
            "offset": page.offset, "photos": await photos(found)}


async def defect_view(defect: Defect) -> dict:
    """Everything a defect page shows: unit, photos, plan, notice, checks, last failed recheck."""
    unit = (await units_of([defect.unit]))[defect.unit]
    has_plan = False
    if defect.pin_x is not None and defect.pin_y is not None and unit["unit_type"]:
        has_plan = await Photo.exists().where(
            Photo.id.is_in(UnitType.select(UnitType.floor_plan).where(UnitType.id == unit["unit_type"]))
            & (Photo.status == "ready")).run()
    notice = await RectificationNotice.objects().get(RectificationNotice.id == defect.notice).run() \
        if defect.notice else None
    checks = await DefectCheck.select(DefectCheck.result, DefectCheck.note, DefectCheck.created_at,
                                      DefectCheck.by.display_name.as_alias("by_name")).where(
        DefectCheck.defect == defect.id).order_by(DefectCheck.id, ascending=False).limit(20).run()
    failed = await Recheck.select(Recheck.note, Recheck.created_at).where(
        (Recheck.defect == defect.id) & (Recheck.result == "fail")).order_by(Recheck.id, ascending=False).first().run()
    return {"defect": defect, "unit": unit, "has_plan": has_plan, "notice": notice, "checks": checks,
            "failed": failed, "photos": (await round_photos([defect]))[defect.id]}


async def notice_view(notice: RectificationNotice) -> dict:
    rows = as_rows(await Defect.select().where(Defect.notice == notice.id).order_by(Defect.id).run())
    inspection = await Inspection.select(Inspection.unit).where(Inspection.id == notice.inspection).first().run()
    return {"notice": notice, "defects": rows, "photos": await round_photos(rows),
            "unit": (await units_of([inspection["unit"]]))[inspection["unit"]],
            "party": await Party.objects().get(Party.id == notice.party).run(),
            "deliveries": await NoticeDelivery.objects().where(NoticeDelivery.notice == notice.id).order_by(
                NoticeDelivery.id).run()}

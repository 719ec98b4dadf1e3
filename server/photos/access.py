"""Who may see a photo: exactly whoever may see its subject.

Each context that attaches photos to its objects registers one check for its
subject type, next to its own access rules:

    @register_subject("defect")
    async def _defect_visible(user, defect_id): ...

A photo whose subject type has no check (a bug, or a context removed) is
visible to nobody: failing closed, and answering 404 like a missing photo.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from server.errors import NotFound
from server.i18n import _
from server.org.access import is_staff
from server.org.tables import UnitType
from server.photos.tables import Photo

SubjectCheck = Callable[[Any, int], Awaitable[bool]]
_SUBJECT_CHECKS: dict[str, SubjectCheck] = {}


def register_subject(subject_type: str) -> Callable[[SubjectCheck], SubjectCheck]:
    def decorate(check: SubjectCheck) -> SubjectCheck:
        if subject_type in _SUBJECT_CHECKS and _SUBJECT_CHECKS[subject_type] is not check:
            raise RuntimeError(f"photo subject {subject_type!r} registered twice")
        _SUBJECT_CHECKS[subject_type] = check
        return check

    return decorate


async def subject_visible(user: Any, subject_type: str, subject_id: int) -> bool:
    check = _SUBJECT_CHECKS.get(subject_type)
    return user is not None and check is not None and await check(user, subject_id)


async def photo_for(user: Any, photo_id: int) -> Photo:
    """The photo, if the caller may see its subject; 404 otherwise."""
    photo = await Photo.objects().get(Photo.id == photo_id).run()
    if photo is None or not await subject_visible(user, photo.subject_type, photo.subject_id):
        raise NotFound(_("The page or record was not found."))
    return photo


@register_subject("unit_type")
async def _unit_type_visible(user: Any, unit_type_id: int) -> bool:
    # Floor plans are project data: every developer-side staff role sees
    # every project (server.org.access); contractors and owners do not.
    return is_staff(user) and await UnitType.exists().where(UnitType.id == unit_type_id).run()

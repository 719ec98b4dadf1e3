"""Warranty (保修期) of an owner's repair request, exactly as domain/rules.md says.

Pure functions over dates: no database, no HTTP. A project's terms come from
its settings (`selectors.warranty_terms`); `decide` answers, for one component,
one delivery day and one report day, whether the request is within warranty,
from which day and to which last day, who pays, and why.

The day count is 《民法典》 Articles 201–203: the delivery day is not counted,
the period starts the next day and, counted in years, ends on the day of the
expiry year that corresponds to the delivery day (the month's last day when
there is no such day, as for 29 February), at 24:00. Heating and cooling last
a number of seasons: the warranty ends on the last day of the Nth season that
starts after the delivery day (a season already running that day does not
count).
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from server.i18n import _, lazy_gettext as _l

STRUCTURE = "structure"
WATERPROOFING = "waterproofing"
HEATING = "heating"
COOLING = "cooling"
PIPES_ELECTRICAL = "pipes_electrical"
DECORATION = "decoration"

COMPONENTS = (STRUCTURE, WATERPROOFING, HEATING, COOLING, PIPES_ELECTRICAL, DECORATION)
COMPONENT_LABELS = {
    STRUCTURE: _l("Foundations and main structure"),
    WATERPROOFING: _l("Waterproofing and leak-proofing"),
    HEATING: _l("Heating system"),
    COOLING: _l("Cooling system"),
    PIPES_ELECTRICAL: _l("Electrical lines, water pipes and equipment"),
    DECORATION: _l("Decoration and finishing"),
}
SEASONAL = (HEATING, COOLING)
"""Counted in seasons; every other component is counted in years."""

MINIMUM_YEARS = {WATERPROOFING: 5, PIPES_ELECTRICAL: 2, DECORATION: 2}
"""Statutory floors (《房屋建筑工程质量保修办法》 Art. 7); a project may set more, never less."""
MINIMUM_SEASONS = 2
DEFAULT_DESIGN_LIFE = 50
"""`structure` lasts the project's design service life (a project setting)."""

CONTRACTOR = "contractor"
OWNER = "owner"


@dataclass(frozen=True)
class Season:
    """A yearly season from (month, day) to (month, day), ending the next year when the end comes first."""

    start: tuple[int, int]
    end: tuple[int, int]

    def starting_in(self, year: int) -> tuple[dt.date, dt.date]:
        first = dt.date(year, *self.start)
        last_year = year + 1 if self.end < self.start else year
        return first, dt.date(last_year, *self.end)

    @staticmethod
    def parse(start: str, end: str) -> "Season":
        """From "MM-DD" texts; ValueError when one is not a day of every year (29 February is not)."""
        def month_day(text: str) -> tuple[int, int]:
            month, day = (int(part) for part in str(text).strip().split("-"))
            dt.date(2023, month, day)  # a common year: refuses 02-29 and 04-31
            return month, day

        season = Season(month_day(start), month_day(end))
        if season.start == season.end:
            raise ValueError("a season must not start and end on the same day")
        return season


HEATING_SEASON = Season((11, 15), (3, 15))
COOLING_SEASON = Season((6, 1), (9, 30))


@dataclass(frozen=True)
class Terms:
    """A project's warranty terms: the statutory ones unless the project sets longer."""

    years: Mapping[str, int] = field(default_factory=lambda: {STRUCTURE: DEFAULT_DESIGN_LIFE, **MINIMUM_YEARS})
    seasons: Mapping[str, int] = field(default_factory=lambda: {HEATING: MINIMUM_SEASONS, COOLING: MINIMUM_SEASONS})
    heating_season: Season = HEATING_SEASON
    cooling_season: Season = COOLING_SEASON

    def season_of(self, component: str) -> Season:
        return self.heating_season if component == HEATING else self.cooling_season


DEFAULT_TERMS = Terms()


def terms_problems(years: Mapping[str, Any], seasons: Mapping[str, Any]) -> dict[str, str]:
    """Per field, why a project's periods cannot be used (empty when they can):
    whole numbers, and never shorter than the statutory minimums."""
    problems: dict[str, str] = {}
    for component, value in {**years, **seasons}.items():
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            problems[component] = _("Enter a whole number.")
            continue
        floor = MINIMUM_SEASONS if component in SEASONAL else MINIMUM_YEARS.get(component, 1)
        if number < floor or number > 200:
            problems[component] = _("A project may set a longer period, never one shorter than %(n)s.", n=floor)
    return problems


def add_years(day: dt.date, years: int) -> dt.date:
    """The day of the year `years` later that corresponds to `day`; the month's last day when there is none."""
    year = day.year + years
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def last_day(component: str, delivered_on: dt.date, terms: Terms = DEFAULT_TERMS) -> dt.date:
    """The last day (until 24:00) a request for `component` is within warranty."""
    if component in SEASONAL:
        season = terms.season_of(component)
        count = terms.seasons[component]
        year = delivered_on.year - 1
        ends: list[dt.date] = []
        while len(ends) < count:
            first, end = season.starting_in(year)
            if first > delivered_on:  # a season running on the delivery day does not count
                ends.append(end)
            year += 1
        return ends[-1]
    return add_years(delivered_on, terms.years[component])


@dataclass(frozen=True)
class Decision:
    component: str
    delivered_on: dt.date | None
    reported_on: dt.date
    in_warranty: bool | None
    """None when the home had not been delivered to its owner on the report day."""
    starts_on: dt.date | None
    """The delivery day (the period itself runs from the next day)."""
    ends_on: dt.date | None
    who_pays: str | None
    period_count: int
    period_unit: str
    """years | seasons"""

    def as_api(self) -> dict[str, Any]:
        return {"in_warranty": self.in_warranty, "who_pays": self.who_pays,
                "starts_on": self.starts_on.isoformat() if self.starts_on else None,
                "ends_on": self.ends_on.isoformat() if self.ends_on else None,
                "component": self.component, "period": {"count": self.period_count, "unit": self.period_unit},
                "reasoning": self.reasoning()}

    def period_text(self) -> str:
        if self.period_unit == "years":
            return _("%(n)s years", n=self.period_count)
        if self.component == HEATING:
            return _("%(n)s heating seasons", n=self.period_count)
        return _("%(n)s cooling seasons", n=self.period_count)

    def reasoning(self) -> str:
        """One sentence a person can check by hand, in the caller's language."""
        label = str(COMPONENT_LABELS[self.component])
        if self.delivered_on is None or self.ends_on is None:
            return _("%(component)s: the home had not been delivered to its owner on %(reported)s, so this is "
                     "not a warranty matter (it is rectified before delivery).",
                     component=label, reported=self.reported_on.isoformat())
        verdict = _("within warranty, repaired at the contractor's cost") if self.in_warranty else \
            _("out of warranty, a paid repair for the owner")
        return _("%(component)s: delivered on %(delivered)s, warranty %(period)s, last day in warranty "
                 "%(last)s; reported on %(reported)s: %(verdict)s.",
                 component=label, delivered=self.delivered_on.isoformat(), period=self.period_text(),
                 last=self.ends_on.isoformat(), reported=self.reported_on.isoformat(), verdict=verdict)


def decide(component: str, delivered_on: dt.date | None, reported_on: dt.date,
           terms: Terms = DEFAULT_TERMS) -> Decision:
    """Whether a request reported on `reported_on` is within warranty (module doc).

    `who_pays` assumes a construction defect, as a new request does until
    triage classes its cause."""
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}")
    unit = "seasons" if component in SEASONAL else "years"
    count = terms.seasons[component] if component in SEASONAL else terms.years[component]
    if delivered_on is None or reported_on < delivered_on:
        return Decision(component, delivered_on, reported_on, None, None, None, None, count, unit)
    ends_on = last_day(component, delivered_on, terms)
    within = reported_on <= ends_on
    return Decision(component, delivered_on, reported_on, within, delivered_on, ends_on,
                    CONTRACTOR if within else OWNER, count, unit)

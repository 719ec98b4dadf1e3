"""One measured fix to Piccolo 1.38's ForeignKey attribute access.

`ForeignKey.__getattribute__` calls `dir(self)` on every public attribute
access (`Defect.unit == 3`, `Unit.building.name`, ...) only to decide whether
a lazily referenced table still needs its proxy columns. That check matters
just for a LazyTableReference whose proxy columns are not set yet, so we
test that first and call `dir()` only then. Behaviour is unchanged; a list
page spent about 1 ms per request in those `dir()` calls (bench/inspections.py).

The method body below is Piccolo's own, but for that first test. Pinned to
the Piccolo version it was copied from: upgrading Piccolo fails loudly here
until this is re-checked (or dropped, if Piccolo has fixed it).
"""
from __future__ import annotations

from typing import Any

import piccolo
from piccolo.columns.base import Column
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.reference import LazyTableReference

PICCOLO_VERSION = "1.38.0"


def _getattribute(self: ForeignKey, name: str) -> Any:
    if not name.startswith("_"):
        try:
            meta = object.__getattribute__(self, "_foreign_key_meta")
        except AttributeError:
            meta = None
        if (meta is not None and meta.proxy_columns == [] and isinstance(meta.references, LazyTableReference)
                and name not in dir(self)):
            object.__getattribute__(self, "set_proxy_columns")()

    value = object.__getattribute__(self, name)
    if name.startswith("_"):
        return value

    foreignkey_class = object.__getattribute__(self, "__class__")
    if isinstance(value, foreignkey_class):  # a join: copy with the call chain extended
        new_column = value.copy()
        new_column._meta.call_chain.append(self)
        if len(new_column._meta.call_chain) >= 10:
            raise Exception("Call chain too long!")
        foreign_key_meta = object.__getattribute__(new_column, "_foreign_key_meta")
        for proxy_column in foreign_key_meta.proxy_columns:
            try:
                delattr(new_column, proxy_column._meta.name)
            except Exception:  # noqa: BLE001 - as in Piccolo
                pass
        foreign_key_meta.proxy_columns = []
        for column in value._foreign_key_meta.resolved_references._meta.columns:
            _column = column.copy()
            _column._meta.call_chain = list(new_column._meta.call_chain)
            setattr(new_column, _column._meta.name, _column)
            foreign_key_meta.proxy_columns.append(_column)
        return new_column
    if issubclass(type(value), Column):
        new_column = value.copy()
        column_meta = object.__getattribute__(self, "_meta")
        new_column._meta.call_chain = column_meta.call_chain.copy()
        new_column._meta.call_chain.append(self)
        return new_column
    return value


def apply() -> None:
    if piccolo.__VERSION__ != PICCOLO_VERSION:
        raise RuntimeError(f"server/piccolo_speedups.py was written for Piccolo {PICCOLO_VERSION}, "
                           f"this is {piccolo.__VERSION__}: re-check it against ForeignKey.__getattribute__")
    ForeignKey.__getattribute__ = _getattribute  # type: ignore[method-assign]

"""Translated labels for procedure and step states: (label, chip colour), a word and a colour, never colour alone."""
from server.i18n import lazy_gettext as _l
from server.procedures.tables import ProcedureStatus, StepStatus

STEP_STATUS = {
    StepStatus.OPEN: (_l("Open"), "blue"),
    StepStatus.AWAITING_APPROVAL: (_l("Awaiting approval"), "orange"),
    StepStatus.DONE: (_l("Done"), "green"),
}

PROCEDURE_STATUS = {
    ProcedureStatus.IN_PROGRESS: (_l("In progress"), "blue"),
    ProcedureStatus.COMPLETED: (_l("Completed"), "green"),
}

SUBJECT_KINDS = {
    "project": _l("Project"),
    "delivery_batch": _l("Delivery batch"),
}

"""Roles and what groups of them may do. The one place to read who may do what."""
from server.i18n import lazy_gettext as _l

ADMIN = "admin"
CS_STAFF = "cs_staff"
INSPECTOR = "inspector"
PROJECT_STAFF = "project_staff"
SUPERVISOR = "supervisor"
CONTRACTOR = "contractor"
QUALITY_CENTER = "quality_center"
SALES = "sales"
PROPERTY = "property"
PR = "pr"
OWNER = "owner"

ROLE_LABELS = {
    ADMIN: _l("Administrator"),
    CS_STAFF: _l("CS staff"),
    INSPECTOR: _l("Inspector"),
    PROJECT_STAFF: _l("Project department"),
    SUPERVISOR: _l("Supervisor"),
    CONTRACTOR: _l("Contractor"),
    QUALITY_CENTER: _l("Quality center"),
    SALES: _l("Sales"),
    PROPERTY: _l("Property company"),
    PR: _l("Brand & PR"),
    OWNER: _l("Owner"),
}

# Developer-side staff: see every project's organisation data.
STAFF = frozenset({ADMIN, CS_STAFF, INSPECTOR, PROJECT_STAFF, SUPERVISOR, QUALITY_CENTER, SALES, PROPERTY, PR})
# Roles that must belong to a party (their access is limited to it).
PARTY_ROLES = frozenset({CONTRACTOR})
# Who signs keys over (the navigation and server/handover use this one set).
HANDOVER = frozenset({CS_STAFF, INSPECTOR})
PARTY_KINDS_FOR_CONTRACTOR = frozenset({"construction_unit", "repair_unit"})

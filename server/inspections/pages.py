"""The inspector / CS side pages of house acceptance inspection (HTML, htmx).

One list to register in `server.app`: plans and the schedule (planners),
今日任务 and the unit being inspected (inspectors), recording a defect, and a
defect's page with its photos and history. The contractor, check, recheck
and handover pages live in their own modules.
"""
from server.inspections.pages_capture import CapturePages
from server.inspections.pages_checklist import ChecklistPages
from server.inspections.pages_defects import DefectPages
from server.inspections.pages_inspect import InspectionPages
from server.inspections.pages_plans import PlanPages

PAGES = [PlanPages, InspectionPages, ChecklistPages, CapturePages, DefectPages]

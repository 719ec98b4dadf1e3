"""The application factory: wiring only. Domain code lives in the context packages."""
from __future__ import annotations

import gc

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from server import db
from server.accounts.admin_pages import ADMIN_PAGES
from server.accounts.api import AuthApi, UsersApi
from server.accounts.pages import PAGES as ACCOUNT_PAGES
from server.handover.selectors import handovers_of_unit
from server.org.api import OrgApi, use_unit_handovers
from server.logs import configure_logging
from server.settings import Settings, get_settings
from server.web.csrf import CSRFUnlessBearerMiddleware, csrf_config
from server.web.errors import EXCEPTION_HANDLERS
from server.web.middleware import AuthMiddleware, LocaleMiddleware, ReadTransactionMiddleware, SecureCookiesMiddleware
from server.web.nav import load_nav_counts
from server.web.request_id import RequestIdMiddleware
from server.web.unavailable import DatabaseUnavailableMiddleware
from server.web.snippets import STATIC_DIR


async def _on_startup() -> None:
    await db.check_connection()
    await db.start_pool()
    await db.refresh_statistics()


def freeze_what_is_loaded() -> None:
    """The last start-up step. What is loaded by now (Litestar, Piccolo, our modules: ~200,000 objects)
    lives as long as the process; frozen, the cyclic collector's full passes no longer walk it: one took
    77 ms of a list request, the tail of bench/results/inspections.md's p95. Objects still free
    themselves when unreferenced, and `unfreeze` at shutdown hands the rest back to the collector, so
    an app made and dropped (the tests) leaves nothing behind."""
    gc.collect()
    gc.freeze()


def unfreeze() -> None:
    gc.unfreeze()


async def _on_shutdown() -> None:
    from server.jobs import close_queue
    from server.photos.storage import close_storage

    await close_queue()
    await close_storage()
    await db.close_pool()


def route_handlers() -> list:
    from server.org.pages import PAGES as ORG_PAGES
    from server.delivery.api import DeliveryApi, DeliveryTableApi
    from server.delivery.announcement_api import ANNOUNCEMENT_API
    from server.delivery.announcement_pages import ANNOUNCEMENT_PAGES
    from server.delivery.table_pages import TABLE_PAGES
    from server.delivery.day_api import AppointmentApi, DeliveryBatchApi
    from server.delivery.day_pages import DELIVERY_DAY_PAGES
    from server.delivery.owner_pages import OWNER_PAGES
    from server.delivery.pages import DELIVERY_PAGES
    from server.handover.api import HandoverApi
    from server.inspections.api import DefectsApi, InspectionsApi, PlansApi, TimelineApi
    from server.handover.pages import HANDOVER_PAGES
    from server.inspections.pages import PAGES as INSPECTION_PAGES
    from server.inspections.rectification_pages import RECTIFICATION_PAGES
    from server.inspections.template_api import TemplateApi
    from server.inspections.template_pages import TEMPLATE_PAGES
    from server.notifications.pages import INBOX_PAGES
    from server.photos.api import PhotoFiles, PhotosApi
    from server.procedures.api import ProceduresApi
    from server.procedures.pages import PROCEDURE_PAGES
    from server.procedures.tender_api import TENDER_API
    from server.procedures.tender_pages import TENDER_PAGES
    from server.inquiries.api import InquiriesApi
    from server.inquiries.sheet_api import SHEET_API
    from server.inquiries.sheet_pages import SHEET_PAGES
    from server.inquiries.owner_pages import OWNER_INQUIRY_PAGES
    from server.inquiries.pages import INQUIRY_PAGES
    from server.inquiries.summary_api import SUMMARY_API
    from server.inquiries.summary_pages import SUMMARY_PAGES
    from server.knowledge.public_pages import PUBLIC_ANSWER_PAGES
    from server.knowledge.api import KnowledgeApi
    from server.knowledge.pages import KNOWLEDGE_PAGES
    from server.repairs.api import RepairsApi
    from server.repairs.job_api import RepairJobsApi
    from server.repairs.job_pages import JOB_PAGES
    from server.reports.dashboards_pages import DASHBOARD_PAGES
    from server.reports.stats_api import StatsApi
    from server.repairs.closing_api import RepairClosingApi
    from server.repairs.closing_pages import CLOSING_ROUTES
    from server.repairs.pages import REPAIR_PAGES
    from server.reports.list_export_pages import LIST_EXPORT_PAGES
    from server.reports.pdf_pages import PDF_PAGES
    from server.repairs.timeline_pages import TIMELINE_PAGES
    from server.web.pwa import PWA_ROUTES
    from server.web.health import HEALTH_ROUTES

    return [
        AuthApi,
        UsersApi,
        OrgApi,
        PhotosApi,
        PhotoFiles,
        InspectionsApi,
        DefectsApi,
        PlansApi,
        TimelineApi,
        HandoverApi,
        DeliveryApi,
        DeliveryTableApi,
        *ANNOUNCEMENT_API,
        *ANNOUNCEMENT_PAGES,
        *TABLE_PAGES,
        DeliveryBatchApi,
        AppointmentApi,
        *ACCOUNT_PAGES,
        *PWA_ROUTES,
        *HEALTH_ROUTES,
        *ORG_PAGES,
        *ADMIN_PAGES,
        *INSPECTION_PAGES,
        *RECTIFICATION_PAGES,
        *HANDOVER_PAGES,
        *DELIVERY_PAGES,
        *DELIVERY_DAY_PAGES,
        *OWNER_PAGES,
        *INBOX_PAGES,
        TemplateApi,
        *TEMPLATE_PAGES,
        ProceduresApi,
        RepairsApi,
        RepairClosingApi,
        RepairJobsApi,
        *JOB_PAGES,
        *REPAIR_PAGES,
        *CLOSING_ROUTES,
        *TIMELINE_PAGES,
        KnowledgeApi,
        StatsApi,
        *DASHBOARD_PAGES,
        *KNOWLEDGE_PAGES,
        InquiriesApi,
        *SHEET_API,
        *SUMMARY_PAGES,
        *SUMMARY_API,
        *SHEET_PAGES,
        *INQUIRY_PAGES,
        *PUBLIC_ANSWER_PAGES,
        *OWNER_INQUIRY_PAGES,
        *PROCEDURE_PAGES,
        *TENDER_API,
        *TENDER_PAGES,
        *PDF_PAGES,
        *LIST_EXPORT_PAGES,
        create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False,
                                   cache_control=None),
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_format)
    use_unit_handovers(handovers_of_unit)
    return Litestar(
        route_handlers=route_handlers(),
        middleware=[
            RequestIdMiddleware,
            SecureCookiesMiddleware,
            LocaleMiddleware,
            DatabaseUnavailableMiddleware,  # 503 for what the next two raise, with its access line
            ReadTransactionMiddleware,
            AuthMiddleware,
            DefineMiddleware(CSRFUnlessBearerMiddleware, config=csrf_config(settings)),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=load_nav_counts,
        on_startup=[_on_startup, freeze_what_is_loaded],
        on_shutdown=[unfreeze, _on_shutdown],
        openapi_config=OpenAPIConfig(title="CS Center API", version="1.0.0", path="/schema",
                                     use_handler_docstrings=True),  # a handler's docstring documents it
        # Level 6: nearly level 9's size at a third of its CPU (measured on a 50-row list).
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6,
                                             exclude_opt_key="skip_compression"),
        request_max_body_size=settings.upload_max_bytes + 1024 * 1024,
        debug=settings.debug,
        logging_config=None,  # ours (server/logs.py, LOG_FORMAT); Litestar's would replace the root handler
    )

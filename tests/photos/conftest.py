"""Fixtures for the photo tests: a unit type to hang floor plans on, and alice's API client."""
from __future__ import annotations

import pytest


@pytest.fixture
async def unit_type(personas):
    from server.org.services import project_create, unit_type_create

    project = await project_create(actor=None, name="Riverside Garden")
    return await unit_type_create(actor=None, project_id=project.id, name="A2 three-bedroom")


@pytest.fixture
async def alice(personas):
    return await personas.api("alice")

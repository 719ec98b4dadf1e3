"""Helpers for procedure tests: a project, extra department users, small files of each kind."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


async def project(name: str = "阳光花园"):
    from server.org.services import project_create

    return await project_create(actor=None, name=name)


async def department_user(personas, name: str, role: str):
    """A user of a role the personas lack (sales, property, pr), with a signed-in API client."""
    from server.accounts.tables import User
    from tests.support import _password_hash

    user = User(username=name, password_hash=_password_hash(), role=role, display_name=name.title())
    await user.save().run()
    personas.users[name] = user
    return await personas.api(name)


async def started(personas, *, template_code: str = "delivery_preparation", start_date: dt.date | None = None,
                  subject_kind: str = "delivery_batch", subject_id: int = 1) -> dict:
    """A procedure started through the API by carol (cs_staff); answers its JSON."""
    p = await project()
    carol = await personas.api("carol")
    body = {"template_code": template_code, "subject_kind": subject_kind, "subject_id": subject_id,
            "project_id": p.id}
    if start_date:
        body["start_date"] = start_date.isoformat()
    r = await carol.post("/api/v1/procedures", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def upload(client, step_id: int, content: bytes = PDF, name: str | None = None,
                 filename: str = "文件.pdf"):
    data = {"name": name} if name is not None else {}
    return await client.post(f"/api/v1/procedure-steps/{step_id}/documents", data=data,
                             files={"file": (filename, content, "application/octet-stream")})

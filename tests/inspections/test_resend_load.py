"""The load that found the race (issue 9.10): 200 defect uploads from 20 clients at
once, 20 of them resent with the same client_id while the first try is still
running. Nothing is lost or doubled, no answer is a 5xx, every photo gets processed."""
from __future__ import annotations

import asyncio

from server.inspections.tables import Defect
from server.photos.tables import Photo
from tests.inspections.support import defect_form, photo_files, unit_under_inspection
from tests.photos.support import media_files, run_worker

CLIENTS, PER_CLIENT, RESENT_PER_CLIENT = 20, 10, 1


async def test_200_uploads_from_20_clients_with_20_resent_store_200_defects(personas):
    from workers.settings import WorkerSettings

    _, inspection = await unit_under_inspection(personas)
    party = personas.parties["builder_a"].id
    clients = [await personas.api("ian") for _ in range(CLIENTS)]
    url = f"/api/v1/inspections/{inspection['id']}/defects"
    before = await media_files()

    async def one_client(client) -> list[tuple[str, list]]:
        sent = []
        for index in range(PER_CLIENT):
            form = defect_form(party, description=f"墙面空鼓 {index}")
            tries = 2 if index < RESENT_PER_CLIENT else 1  # the resend leaves while the first try runs
            answers = await asyncio.gather(*[client.post(url, data=form, files=photo_files(1))
                                             for _ in range(tries)])
            sent.append((form["client_id"], answers))
        return sent

    results = [pair for batch in await asyncio.gather(*[one_client(c) for c in clients]) for pair in batch]
    codes = [a.status_code for _, answers in results for a in answers]
    assert len(codes) == CLIENTS * (PER_CLIENT + RESENT_PER_CLIENT)
    assert sorted(set(codes)) == [200, 201] and codes.count(201) == CLIENTS * PER_CLIENT
    for client_id, answers in results:
        assert len({a.json()["id"] for a in answers}) == 1 and answers[0].json()["client_id"] == client_id
    assert await Defect.count().run() == CLIENTS * PER_CLIENT

    await run_worker(WorkerSettings)
    statuses = await Photo.select(Photo.status).run()
    assert [r["status"] for r in statuses] == ["ready"] * CLIENTS * PER_CLIENT
    # One original, display image and thumbnail per photo: nothing from a losing try stayed behind.
    assert len(set(await media_files()) - set(before)) == 3 * CLIENTS * PER_CLIENT

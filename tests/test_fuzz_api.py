"""Issue 14, figure 9: schemathesis over the app's OpenAPI schema, as each role.

A granian process serves the app on this test's database, loaded with the
dataset of tests/dataset.py (so small ids name real objects). For every API
operation of /schema/openapi.json and every caller (signed out, admin, CS
staff, inspector, the objects' contractor, the home's owner), hypothesis
generates FUZZ_EXAMPLES requests (1 by default; derandomized: the same ones
every run) and sends them. No answer may be a 5xx.

The bound keeps it to a few minutes in CI; `FUZZ_EXAMPLES=6` is the longer
run of bench/results/reliability.md. The count of requests and the time are printed and
written to test-output/fuzz.txt.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1"))
CALLERS = {"anonymous": None, "admin": "alice", "cs_staff": "carol", "inspector": "ian", "contractor": "bob",
           "owner": "owner"}


def fuzz_operation(operation, base_url: str, headers: dict, failures: list, counter: list) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        counter[0] += 1
        if response.status_code >= 500:
            failures.append((case.method, case.path, response.status_code, repr(case.path_parameters),
                             repr(case.query), repr(case.body)[:200], response.text[:200]))

    run()


async def test_no_api_call_answers_a_server_error(personas, redis_server):
    import schemathesis

    from tests.dataset import OWNER, build
    from tests.serving import granian

    started = time.monotonic()
    await build(personas)
    tokens = {}
    for role, name in CALLERS.items():
        if name:
            client = await personas.api(OWNER if name == "owner" else name)
            tokens[role] = client.headers["Authorization"]
    with granian() as (base_url, _):
        schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 150
        failures, counter = [], [0]
        for role in CALLERS:
            headers = {"Authorization": tokens[role]} if role in tokens else {}
            for operation in operations:
                fuzz_operation(operation, base_url, headers, failures, counter)
    seconds = time.monotonic() - started
    summary = (f"fuzzing: {len(operations)} API operations x {len(CALLERS)} callers, {counter[0]} requests "
               f"({EXAMPLES} examples each, derandomized), {len(failures)} server errors; {seconds:.0f} s")
    print(summary)
    (ROOT / "test-output").mkdir(exist_ok=True)
    (ROOT / "test-output" / "fuzz.txt").write_text(summary + "\n" + "\n".join(map(str, failures)) + "\n",
                                                   encoding="utf-8")
    assert failures == [], "\n".join(map(str, failures))

"""Procedures: ordered steps with responsible parties, due dates, documents and approvals.

One engine, many procedures: the 10-step delivery preparation of regulation 2
and the 12-step property-management tender of regulation 3 are rows of data
(`seed.py`), not code paths. Other contexts start one for their subject with
`services.start_procedure(...)` and find it with `services.procedure_for(...)`.
"""

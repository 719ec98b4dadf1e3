"""The tables of bench/sustained.py: bench/results/sustained.md in full, and its summary
as a section of bench/results/reliability.md (between markers, so a rerun replaces it)."""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).resolve().parent / "results"
COMMAND = "make bench  (or: .venv/bin/python -m bench.sustained; SUSTAINED_SECONDS, STEP_SECONDS, SCALES to vary)"
BEGIN, END = "<!-- sustained-load-bench -->", "<!-- /sustained-load-bench -->"


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "–"
    return f"{sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000:.0f}"


def _s(values: list[float], q: float) -> str:
    return f"{sorted(values)[min(len(values) - 1, int(q * len(values)))]:.1f}" if values else "–"


def step_table(steps: list, holds: Callable) -> list[str]:
    lines = ["| run | inspectors / owners / contractors | requests | req/s | p50 ms | p95 ms | p99 ms | max ms "
             "| failed | photos | upload→ready p50 / p95 / max s | not ready | load generator CPU | holds |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |"]
    for step in steps:
        mix = step.mix()
        times = [seconds for _, seconds, _ in step.samples]
        lag = step.photo_lag
        lines.append(
            f"| {step.label} | {mix['inspectors']} / {mix['owners']} / {mix['contractors']} | {len(times):,} "
            f"| {len(times) / step.seconds:.1f} | {_ms(times, 0.5)} | {_ms(times, 0.95)} | {_ms(times, 0.99)} "
            f"| {_ms(times, 1.0)} | {len(step.failures)} | {len(step.photos)} "
            f"| {_s(lag, 0.5)} / {_s(lag, 0.95)} / {_s(lag, 1.0)} | {step.not_ready} | {step.client_cpu * 100:.0f} % "
            f"| {'yes' if holds(step) else 'NO'} |")
    return lines


def kind_table(step) -> list[str]:
    by_kind: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for kind, seconds, status in step.samples:
        by_kind[kind].append((seconds, status))
    lines = [f"Requests of the run “{step.label}” by kind:", "",
             "| request | count | p50 ms | p95 ms | max ms | failed |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    failed = defaultdict(int)
    for failure in step.failures:
        failed[failure.split(":")[0]] += 1
    for kind in sorted(by_kind):
        times = [s for s, _ in by_kind[kind]]
        lines.append(f"| {kind} | {len(times):,} | {_ms(times, 0.5)} | {_ms(times, 0.95)} | {_ms(times, 1.0)} "
                     f"| {failed[kind]} |")
    return lines


def write_results(steps: list, memory: dict[str, float], holds: Callable, load: tuple[float, float, float]) -> None:
    held = [s for s in steps if holds(s)]
    largest = max(held, key=lambda s: s.scale) if held else None
    verdict = (f"The largest mix that held: **{largest.label}** "
               f"({largest.mix()['inspectors']} inspectors, {largest.mix()['owners']} owners, "
               f"{largest.mix()['contractors']} contractors)." if largest else "**No mix held.**")
    summary = [
        f"`{COMMAND}`, {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on the 2-core machine, `python -m server run`'s "
        f"default set-up (SQLite, local Redis, one web process, the workers), the load generator on the same cores "
        f"(machine load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}). Target: p95 under 300 ms, "
        f"0 failed requests, every accepted photo ready.", "",
        *step_table(steps, holds), "",
        verdict + f" Peak memory (VmHWM): web {memory.get('web', 0):.0f} MB, workers "
        f"{memory.get('workers', 0):.0f} MB each at most.",
    ]
    failures = [f"- {s.label}: " + "; ".join(sorted(set(s.failures))[:5]) for s in steps if s.failures]
    full = ["# Sustained load (issue 14, figure 12)", "", "How it runs: the docstring of `bench/sustained.py`.", "",
            *summary, "", *(["Failures (first five kinds per run):", "", *failures, ""] if failures else []),
            *kind_table(steps[0]), ""]
    if largest is not None and largest is not steps[0]:
        full += ["", *kind_table(largest), ""]
    first_failed = next((s for s in steps if not holds(s)), None)
    if first_failed is not None:
        full += ["", *kind_table(first_failed), ""]
    (RESULTS / "sustained.md").write_text("\n".join(full) + "\n")
    section = "\n".join([BEGIN, "## Sustained load (figure 12)", "", *summary, "",
                         "Each request kind's figures: bench/results/sustained.md.", END])
    reliability = RESULTS / "reliability.md"
    text = reliability.read_text()
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    reliability.write_text(text)
    print("\n".join(full))

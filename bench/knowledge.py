"""Knowledge search at scale: `.venv/bin/python -m bench.knowledge` (part of `make bench`).

Loads ENTRIES synthetic Chinese Q&A entries (questions and answers made of
common CS words, so a two-character word matches hundreds of entries) with
their bigram index (server/knowledge/search.py), in a fresh SQLite file and
(when PostgreSQL answers on 127.0.0.1:5432) a fresh PostgreSQL database, and
times the ranked search (server.knowledge.selectors.search_entries, the query
behind GET /api/v1/knowledge?q= and the inquiry form's suggestions) in
process, one query at a time. Target: p95 < 50 ms. Then the inquiry form's
suggestion endpoint over HTTP under 20 clients on the same database
(bench/suggestions.py; target p95 < 100 ms). Writes bench/results/knowledge.md.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import suggestions

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "knowledge.md"
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "50000"))
REPEATS = 200
TARGET_P95_MS = 50
QUERIES = [("two characters", "漏水"), ("two characters, another word", "燃气"), ("four characters", "物业费用"),
           ("a sentence", "卫生间漏水怎么报修")]

SCRIPT = """
import asyncio, json, os, random, sys, time
from server.db import start_pool, close_pool, engine
from server.knowledge import search, selectors
from server.knowledge.tables import KnowledgeEntry, KnowledgeToken
from server.pagination import Page

WORDS = ("卫生间 漏水 钥匙 物业 费用 交房 车位 电梯 门窗 墙面 空鼓 开裂 地漏 返水 防水 保修 维修 报修 燃气 暖气 "
         "空调 插座 水管 渗水 阳台 厨房 卧室 客厅 装修 合同 面积 补差 产权 证书 业主 入住 停车 绿化 噪音 邻居 "
         "快递 门禁 监控 保安 垃圾 清洁 缴费 发票 退款 延期 验收 整改 交付 公告 预约 时间 地点 材料 身份证 "
         "怎么办 如何 什么时候 多久 能否 需要 可以 是否 为什么 哪里").split()
QUERIES = json.loads(sys.argv[2])
URL = os.environ["DATABASE_URL"]

async def write_tokens(tokens):
    # straight through the driver: the load is not what is measured
    if URL.startswith("postgresql"):
        import asyncpg
        conn = await asyncpg.connect(URL)
        try:
            await conn.copy_records_to_table("knowledge_token", records=tokens, columns=["entry", "token", "field"])
        finally:
            await conn.close()
    else:
        import sqlite3
        conn = sqlite3.connect(engine().path)
        with conn:
            conn.executemany('INSERT INTO knowledge_token ("entry", token, field) VALUES (?, ?, ?)', tokens)
        conn.close()

async def main(count, repeats):
    await start_pool()
    rng = random.Random(12)
    started = time.perf_counter()
    for first in range(0, count, 1000):
        entries = []
        for _ in range(min(1000, count - first)):
            q = "".join(rng.choice(WORDS) for _ in range(rng.randint(3, 5)))
            a = "，".join("".join(rng.choice(WORDS) for _ in range(4)) for _ in range(rng.randint(2, 4))) + "。"
            entries.append(KnowledgeEntry(question=q, answer=a, question_key=search.normalize(q),
                                          answer_key=search.normalize(a)))
        rows = await KnowledgeEntry.insert(*entries).returning(KnowledgeEntry.id).run()
        tokens = []
        for row, e in zip(rows, entries):
            tokens += [(row["id"], t, "q") for t in search.index_tokens(e.question)]
            tokens += [(row["id"], t, "a") for t in search.index_tokens(e.answer)]
        await write_tokens(tokens)
    load = time.perf_counter() - started
    if sys.argv[3] == "pg":
        # what autovacuum does to a live database after a bulk load: statistics and the visibility map
        await KnowledgeEntry.raw("VACUUM ANALYZE knowledge_token").run()
        await KnowledgeEntry.raw("VACUUM ANALYZE knowledge_entry").run()
        size = (await KnowledgeEntry.raw("SELECT pg_total_relation_size('knowledge_token') AS n").run())[0]["n"]
    else:
        await KnowledgeEntry.raw("ANALYZE").run()
        size = (await KnowledgeEntry.raw("SELECT SUM(pgsize) AS n FROM dbstat WHERE name LIKE '%knowledge_token%'"
                                         ).run())[0]["n"]
    token_rows = await KnowledgeToken.count().run()
    out = {"load_s": load, "index_bytes": size, "token_rows": token_rows, "rows": []}
    for label, q in QUERIES:
        await selectors.search_entries(q, Page.of(20, 0))
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            result = await selectors.search_entries(q, Page.of(20, 0))
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["rows"].append({"what": label, "q": q, "total": result["total"], "p50": times[len(times) // 2],
                            "p95": times[int(len(times) * 0.95) - 1]})
    await close_pool()
    print(json.dumps(out))

asyncio.run(main(int(sys.argv[1]), REPEATS_HERE))
""".replace("REPEATS_HERE", str(REPEATS))


def run_on(label: str, env: dict, kind: str) -> dict:
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(ENTRIES), json.dumps(QUERIES), kind], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(label, result, flush=True)
    result["suggestions"] = suggestions.run(env, QUERIES)
    print(label, result["suggestions"], flush=True)
    return {"database": label, **result}


def postgres_available() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0


def main() -> None:
    load_before = os.getloadavg()[1]
    work = Path(tempfile.mkdtemp(prefix="bench-knowledge-"))
    base_env = dict(os.environ, MEDIA_ROOT=str(work / "media"), SECRET_KEY="bench-secret-key-0123456789",
                    REDIS_URL="", PYTHONPATH=str(ROOT))
    runs = []
    try:
        runs.append(run_on("SQLite", dict(base_env, DATABASE_URL=f"sqlite:///{work}/bench.db"), "sqlite"))
        if postgres_available() and not os.environ.get("BENCH_SQLITE_ONLY"):
            name = f"cs_bench_kb_{os.getpid()}"
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
            try:
                runs.append(run_on("PostgreSQL", dict(
                    base_env, DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{name}"), "pg"))
            finally:
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "# Knowledge search at scale",
        "",
        f"{ENTRIES:,} synthetic entries made of 70 common CS words, so each two-character word is in about a fifth "
        "of all entries (a worse case than a real knowledge base). Index scheme: character unigrams and bigrams of each Chinese run, one token "
        "per run of letters or digits, in the plain table `knowledge_token` (covering B-tree on token, entry, field), ranked in SQL "
        "(server/knowledge/search.py). The ranked query (`selectors.search_entries`, first page of 20 with its "
        f"total) timed in process, {REPEATS} times each, one at a time, on the same 2-core machine. "
        f"Target p95 < {TARGET_P95_MS} ms. `make bench` rewrites this file ({dt.date.today().isoformat()}).",
        "",
        "| database | index rows | index size | load s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(f"| {r['database']} | {r['token_rows']:,} | {r['index_bytes'] / 1048576:.1f} MiB | "
                     f"{r['load_s']:.0f} |")
    lines += ["", "| database | query | matches | p50 ms | p95 ms | meets target |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for r in runs:
        for row in r["rows"]:
            ok = "yes" if row["p95"] < TARGET_P95_MS else "NO"
            lines.append(f"| {r['database']} | {row['what']}: `{row['q']}` | {row['total']:,} | {row['p50']:.1f} | "
                         f"{row['p95']:.1f} | {ok} |")
    lines += suggestions.table(runs)
    lines += ["", f"Machine load (5-minute load average on its {os.cpu_count()} cores) at the start and the end of this run: "
              f"{load_before:.1f} and {os.getloadavg()[1]:.1f}. Every time above is wall time on that machine: a load "
              "above the core count (other work running beside the benchmark) stretches each of them.",
              "", "Why a sentence costs more than a word: its query looks up all its bigrams (`卫生间漏水怎么报修` has 8), "
              "and with these synthetic words each common bigram is in thousands of entries, so it reads about five "
              "times the index rows of a two-character word (about 55,000 against 11,000) and must group them by "
              "entry across tokens (a sort, where one token's rows already come in entry order). Reading the rows is "
              "the small part (≈15 ms of a sentence's time in process); grouping and counting the distinct tokens per "
              "entry is the rest. Pruning a long query to its rarer bigrams (half of them must match anyway) would cut "
              "it; not done, as the targets are for two- and four-character queries."]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

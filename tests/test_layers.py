"""The layers a reader can trust (issue 9, point 9).

Three layers, decided by a module's name:
- HTTP: `server.web.*`, every page or API module (`pages`, `api`, `pages_*`, `*_pages`,
  `*_api`) and `server.photos.upload`, the one place that reads a request;
- entry points: `server.app` (assembles the web app), `server.cli`, `server.launcher`,
  `server.__main__`; they may import anything;
- domain: everything else under `server/` (services, selectors, tables, schemas, access
  rules, state machines, importers, settlements, notices, the database and settings
  helpers, ...) and the arq workers under `workers/`.

The domain never imports `litestar`, `server.web` or an HTTP module, directly or through
another module, not even inside a function. Import cycles between our modules are refused
too (a cycle hidden in a function-level import is still a cycle), and no Python file is
longer than the 400-line guide.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "workers")
MAX_LINES = 400
# Justified exceptions to MAX_LINES: Piccolo writes the migrations (a full snapshot of the
# tables per migration) and they are never edited by hand.
GENERATED = "piccolo_migrations"

ENTRY_POINTS = {"server.app", "server.cli", "server.launcher", "server.__main__"}
FORBIDDEN_THIRD_PARTY = ("litestar",)


def _module_files() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if GENERATED in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = _module_files()


def is_http(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return (name == "server.web" or name.startswith("server.web.") or name == "server.photos.upload"
            or last in ("pages", "api") or last.startswith("pages_")
            or last.endswith("_pages") or last.endswith("_api"))


def is_domain(name: str) -> bool:
    return name not in ENTRY_POINTS and not is_http(name)


def _imports(name: str, path: Path) -> set[str]:
    """Every module `name` imports, at the top or inside a function: ours resolved to
    the module (`from server.org import access` is `server.org.access`), others by
    their top-level name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in PACKAGES:
                # The longest prefix that is one of our modules.
                while target and target not in MODULES:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
            else:
                found.add(target.split(".")[0])
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _forbidden(target: str) -> bool:
    return target in FORBIDDEN_THIRD_PARTY or (target in MODULES and is_http(target))


def _path_to_forbidden(start: str) -> list[str] | None:
    """The import chain from `start` to litestar or an HTTP module, if any (breadth first)."""
    seen = {start}
    queue = [[start]]
    while queue:
        chain = queue.pop(0)
        for target in sorted(GRAPH.get(chain[-1], ())):
            if _forbidden(target):
                return chain + [target]
            if target in MODULES and target not in seen:
                seen.add(target)
                queue.append(chain + [target])
    return None


def test_the_classification_sees_each_layer():
    """Guard against a rule that silently classifies nothing."""
    assert is_http("server.photos.upload") and is_http("server.web.templating")
    assert is_http("server.inspections.pages_capture") and is_http("server.delivery.day_api")
    assert is_domain("server.inspections.services") and is_domain("server.photos.staged")
    assert is_domain("workers.photos") and is_domain("workers.notices") and is_domain("server.db")
    assert not is_domain("server.app")
    domain = [name for name in MODULES if is_domain(name)]
    assert len(domain) > 60, domain
    assert "litestar" in GRAPH["server.photos.upload"]


def test_domain_modules_import_neither_litestar_nor_http_modules():
    chains = [" -> ".join(chain) for name in MODULES if is_domain(name)
              if (chain := _path_to_forbidden(name)) is not None]
    assert chains == []


def test_importing_every_domain_module_loads_no_litestar():
    """What the interpreter really loads, third-party packages included: all domain
    modules in one fresh process, then neither litestar nor an HTTP module is loaded."""
    domain = sorted(name for name in MODULES if is_domain(name))
    script = (
        "import importlib, sys\n"
        f"for name in {domain!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m == 'litestar' or m.startswith('litestar.')"
        " or m == 'server.web' or m.startswith('server.web.'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    assert loaded == [], loaded[:10]
    assert len(domain) > 60


def test_org_knows_no_handover():
    """The org context (projects, buildings, units, parties) is below the workflows: a unit's
    handovers reach the org API through a selector plugged in by server.app."""
    reaches = {name: sorted(t for t in GRAPH[name] if t.startswith("server.handover"))
               for name in MODULES if name.startswith("server.org.")}
    assert {name: targets for name, targets in reaches.items() if targets} == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(components)


def test_no_import_cycles_between_our_modules():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b", "litestar"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_python_file_is_over_the_line_guide():
    long = {str(path.relative_to(ROOT)): n for path in MODULES.values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}

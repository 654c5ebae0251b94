"""The code's plan, checked: imports run one way and never in a circle (docs/architecture.md).

Every import is read from the source (at module level and inside functions alike), so a loop held
together by an import inside a function is a loop here too.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scoring", "prescoring")

# Each module belongs to one room, named by the longest prefix below that its dotted name starts with.
ROOMS = {
    "scoring": "domain",
    "scoring.engine": "engine",
    "scoring.models": "models",
    "scoring.migrations": "migrations",
    "scoring.services": "domain",
    "scoring.selectors": "domain",
    "scoring.tasks": "domain",
    # How a worker gathers a task's messages into batches: Celery only, no project code.
    "scoring.batching": "worker-kit",
    "scoring.signals": "domain",
    "scoring.apps": "domain",
    "scoring.management": "domain-commands",
    "scoring.admin": "domain-admin",
    "scoring.accounts": "accounts",
    "scoring.accounts.forms": "accounts-pages",
    "scoring.accounts.views": "accounts-pages",
    "scoring.officer": "officer",
    "scoring.api": "api",
    "scoring.modelops": "modelops",
    "scoring.modelops.admin": "modelops-pages",
    "scoring.modelops.management": "modelops-pages",
    "scoring.modelops.templatetags": "modelops-pages",
    "scoring.analytics": "analytics",
    "prescoring": "project",
    "prescoring.celery": "celery-app",
}

# What a room may import besides itself: the one-way plan, pages -> services/selectors -> models -> engine.
DOMAIN = {"engine", "models", "domain", "accounts"}
ALLOWED = {
    "engine": set(),
    "models": {"engine"},
    "migrations": {"models", "domain"},
    "domain": DOMAIN | {"worker-kit"},
    "worker-kit": set(),
    "accounts": {"engine", "models", "domain"},
    "domain-commands": DOMAIN,
    "domain-admin": DOMAIN,
    "accounts-pages": DOMAIN,
    "modelops": DOMAIN,
    "modelops-pages": DOMAIN | {"modelops", "domain-admin"},
    "api": DOMAIN | {"domain-admin"},
    "officer": DOMAIN,
    "analytics": DOMAIN | {"modelops"},
    "project": DOMAIN | {"officer", "api", "analytics", "accounts-pages", "celery-app"},
    "celery-app": {"project", "domain"},
}


def module_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


MODULES = dict(module_files())


def room_of(module: str) -> str:
    prefixes = [p for p in ROOMS if module == p or module.startswith(p + ".")]
    return ROOMS[max(prefixes, key=len)]


def imported_modules(module: str, path: Path) -> set[str]:
    """The project's modules that `module` imports, anywhere in its source."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from package import module` imports the module; `from module import name`, the module.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = {module: imported_modules(module, path) for module, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_project_has_its_modules():
    assert {"scoring.services.submission", "scoring.tasks", "scoring.api.views.applications",
            "scoring.modelops.activation", "scoring.engine.prediction"} <= set(MODULES)
    assert "scoring.services.submission" in GRAPH["scoring.api.views.applications"]


def test_no_module_imports_itself_back_through_others():
    assert cycles(GRAPH) == []


def test_the_cycle_check_finds_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    room = room_of(module)
    wrong = sorted(target for target in GRAPH[module]
                   if room_of(target) != room and room_of(target) not in ALLOWED[room])
    assert wrong == [], f"{module} ({room}) imports {[(t, room_of(t)) for t in wrong]}"


def test_the_engine_does_not_import_django():
    for module, path in MODULES.items():
        if room_of(module) != "engine":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(name == "django" or name.startswith("django.") for name in names), module


def test_the_domain_never_imports_the_rooms_above_it():
    above = ("scoring.officer", "scoring.api", "scoring.modelops", "scoring.analytics", "prescoring")
    for module in MODULES:
        if room_of(module) in {"engine", "models", "domain"}:
            assert not [t for t in GRAPH[module] if t.startswith(above)], module

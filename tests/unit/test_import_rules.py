"""Rules of the house that can fail: no import cycle anywhere in the package (function-level
and type-checking imports count: they only hide a cycle), ``sqlite3`` only under ``store/``, and
``psycopg`` only under ``store/`` and in the postgres probe."""

from __future__ import annotations

import grimp

PACKAGE = "stratus_commander"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def graph(exclude_type_checking: bool = False) -> grimp.ImportGraph:
    return grimp.build_graph(
        PACKAGE,
        include_external_packages=True,
        exclude_type_checking_imports=exclude_type_checking,
        cache_dir=None,  # a cache kept across edits has reported cycles already gone
    )


def test_cycles_finds_a_cycle_and_only_that() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(edges) == [["a", "b", "c"]]


def test_no_import_cycle_in_the_package() -> None:
    g = graph()
    modules = {m for m in g.modules if m.startswith(PACKAGE)}
    edges = {
        m: {i for i in g.find_modules_directly_imported_by(m) if i in modules} for m in modules
    }
    assert cycles(edges) == []


def test_sqlite3_is_imported_only_under_store() -> None:
    g = graph()
    importers = sorted(g.find_modules_that_directly_import("sqlite3"))
    assert importers, "the store imports sqlite3: the graph must see it"
    outside = [m for m in importers if not m.startswith(f"{PACKAGE}.store.")]
    assert outside == []


def test_psycopg_is_imported_only_by_the_store_and_the_postgres_probe() -> None:
    g = graph()
    importers = sorted(g.find_modules_that_directly_import("psycopg"))
    assert f"{PACKAGE}.store.postgres.connection" in importers  # the graph must see it
    allowed = (f"{PACKAGE}.store.", f"{PACKAGE}.probes.postgres")
    outside = [m for m in importers if not m.startswith(allowed)]
    assert outside == []


def test_the_store_loads_no_psycopg_until_a_url_is_opened() -> None:
    import subprocess
    import sys

    code = (
        "import sys, stratus_commander.store, stratus_commander.cli.options;"
        "print('psycopg' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

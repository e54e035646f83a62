"""The packages depend on each other one way (docs/architecture.md): this fails on an import
against that direction, on an import circle, and on a task module imported by anything but the
app that registers it."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hoa_portal", "members", "organizations", "conferences", "cbms")

# Low to high: a module may import modules of its own unit and of the units before it. A module
# belongs to the unit of the longest prefix naming it.
LAYERS = (
    # Who is who and who may do what: the one place every page, API call and service asks.
    ("members.models", "members.permissions"),
    # The page, admin and API machinery every app's views stand on.
    (
        "hoa_portal.views",
        "hoa_portal.admin",
        "hoa_portal.api",
        "hoa_portal.month_names",
        # Django's strings and Pashto's date formats, for the languages Django lacks.
        "hoa_portal.framework_strings",
        "hoa_portal.formats",
        "hoa_portal.spreadsheets",
        "hoa_portal.citations",
        # Backup and restore of every app's tables and the storage, through Django's registry.
        "hoa_portal.backup",
    ),
    ("members",),
    ("organizations",),
    ("conferences",),
    ("cbms.models",),
    # CBMs, their roles and plans; the RTG rule and obligations; progress reports.
    ("cbms.records",),
    ("cbms.compliance",),
    ("cbms.reports",),
    # Spreadsheet imports and bulk edits of the records of every app.
    ("cbms.imports",),
    # The app's wiring: its config, admin, URLs and commands.
    ("cbms",),
    # The project's wiring: settings, URLs, Celery, the token endpoint.
    ("hoa_portal", "hoa_portal.api.auth"),
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in RANK:
            return prefix
    raise AssertionError(f"{module} belongs to no layer of docs/architecture.md")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = project_modules()


def imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported project module, line) for every import in the file, nested ones included."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module
            # `from pkg import module` imports the module; `from module import name` the module.
            names = [
                f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES:
                yield name, node.lineno


GRAPH = {
    module: sorted(set(imports(module, path)), key=lambda item: item[1])
    for module, path in MODULES.items()
}


def test_every_module_belongs_to_a_layer():
    for module in MODULES:
        unit_of(module)


def test_imports_run_one_way():
    wrong = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {target} "
        f"({unit_of(module)} may not depend on {unit_of(target)})"
        for module, targets in GRAPH.items()
        for target, line in targets
        if RANK[unit_of(target)] > RANK[unit_of(module)]
    ]
    assert not wrong, "\n".join(wrong)


def _cycle() -> list[str] | None:
    """One import circle among the project's modules, if there is one (depth-first search)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for target, _ in GRAPH.get(module, []):
            if target not in GRAPH:
                continue
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[module] = "done"
        return None

    for module in GRAPH:
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_circle():
    assert _cycle() is None, " -> ".join(_cycle() or [])


def test_tasks_are_imported_only_by_the_app_that_registers_them():
    """Tasks import services, never the reverse: a service queues a task by its name."""
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target, _ in targets
        if target.rsplit(".", 1)[-1] == "tasks" and not module.endswith(".apps")
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("module", "target", "allowed"),
    [
        ("cbms.reports.services", "cbms.compliance.selectors", True),
        ("cbms.compliance.views", "cbms.records.permissions", True),
        ("cbms.records.api", "cbms.compliance.selectors", False),
        ("cbms.compliance.services", "cbms.reports.services", False),
        ("members.views", "cbms.models", False),
        ("hoa_portal.views", "cbms.models", False),
        ("hoa_portal.urls", "cbms.compliance.views", True),
    ],
)
def test_the_direction_itself(module, target, allowed):
    """The layers say what the architecture says (so the check above cannot pass vacuously)."""
    assert (RANK[unit_of(target)] <= RANK[unit_of(module)]) is allowed

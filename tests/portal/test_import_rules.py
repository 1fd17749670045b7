"""Who may import whom (docs/ARCHITECTURE.md). Imports inside functions count, and so do
module names given to `import_module`: a rule a lazy import can dodge is no rule.

Parts: the core (`portal/`, minus the parts below), the configuration modules that wire the
apps together (settings, root urls, Celery app, WSGI/ASGI), the sandbox (`portal/sandbox/`),
the demo loader (`portal/demo/` and its command), and the apps: devices, readings, care
(`readings/care/`), appointments.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TOPS = ("portal", "devices", "readings", "appointments")
CONFIG = {"portal.settings", "portal.urls", "portal.celery", "portal.wsgi", "portal.asgi"}
DEMO = ("portal.demo", "portal.management.commands.load_demo_data")
APPS = ("devices", "readings", "care", "appointments")

# importer part -> parts it must never import
FORBIDDEN = {
    "core": {*APPS, "sandbox", "demo"},
    "devices": {"readings", "care", "appointments", "sandbox", "demo"},
    "appointments": {"readings", "care", "devices", "sandbox", "demo"},
    "readings": {"care", "appointments", "sandbox", "demo"},
    "care": {"sandbox", "demo"},
}


def part_of(module: str) -> str | None:
    def under(prefix: str) -> bool:
        return module == prefix or module.startswith(prefix + ".")

    if module in CONFIG:
        return "config"
    if any(under(p) for p in DEMO):
        return "demo"
    if under("portal.sandbox"):
        return "sandbox"
    if under("readings.care"):
        return "care"
    for top in TOPS:
        if under(top):
            return "core" if top == "portal" else top
    return None


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth, relative imports resolved,
    plus the literal (or literal-prefixed f-string) names given to import_module."""
    this = module_name(path, root)
    package = this.split(".") if path.name == "__init__.py" else this.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            found.append((node.lineno, _literal_prefix(node.args[0])))
    return found


def _is_import_module(func) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("import_module", "__import__")


def _literal_prefix(arg) -> str:
    """The module a name points at, as far as the source says: a computed name in a part
    that names no app is reported as `<computed>` so the test asks for an explicit import."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return "<computed>"


def violations() -> list[str]:
    found = []
    for top in TOPS:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            importer = part_of(module_name(path))
            banned = FORBIDDEN.get(importer, set())
            for line, name in imported_names(path):
                target = part_of(name)
                where = f"{path.relative_to(ROOT)}:{line}"
                if name == "<computed>" and importer in FORBIDDEN:
                    found.append(f"{where} ({importer}) loads a module by computed name")
                elif target in banned:
                    found.append(f"{where} ({importer}) imports {name} ({target})")
    return sorted(set(found))


def test_imports_follow_the_dependency_rules():
    assert violations() == []


def test_the_checker_sees_lazy_and_dynamic_imports(tmp_path):
    """The rules bite on the forms that hid the old cycles: an import inside a function, a
    relative import, and import_module with a literal or computed name."""
    package = tmp_path / "readings"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "probe.py").write_text(
        "from importlib import import_module\n"
        "def f():\n"
        "    from readings.care.alerts import x\n"
        "    from .care import models\n"
        "    import_module('appointments.services')\n"
        "    import_module(f'{name}.panels')\n"
    )
    names = [name for _line, name in imported_names(package / "probe.py", tmp_path)]
    parts = {part_of(n) for n in names}
    assert "readings.care.alerts" in names
    assert "readings.care.models" in names
    assert "appointments.services" in names
    assert "<computed>" in names
    assert {"care", "appointments"} <= parts
    assert part_of("portal.sandbox.state") == "sandbox"
    assert part_of("portal.settings") == "config"
    assert part_of("portal.http") == "core"

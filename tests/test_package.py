"""The project is an installable package: scripts and tools import it from any folder, and no
script edits ``sys.path`` to find it."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_is_installed_with_its_requirements():
    distribution = importlib.metadata.distribution("matchmaker")
    required = {requirement.split("==")[0].split("[")[0].lower() for requirement in distribution.requires or []}
    assert {"flask", "sqlalchemy", "onnxruntime", "faiss-cpu"} <= required


def test_matchmaker_and_embeddings_import_from_another_folder(tmp_path):
    code = "import matchmaker, embeddings.encoders; print(matchmaker.__file__); print(embeddings.encoders.__file__)"
    output = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert all(Path(line).is_relative_to(ROOT) for line in output.stdout.split())


def test_no_script_edits_the_import_path():
    scripts = (ROOT / "scripts").glob("*.py")
    offenders = [path.name for path in scripts if "sys.path" in path.read_text(encoding="utf-8")]
    assert offenders == []


# Services take what they need from their caller (see matchmaker.services.context) and know
# nothing of the web framework; their messages are worded where they are shown
# (matchmaker.messages).


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in names}


def test_services_do_not_import_flask():
    services = ROOT / "matchmaker" / "services"
    imports = {path.relative_to(services).with_suffix("").as_posix(): _imported_packages(path)
               for path in services.rglob("*.py")}
    offenders = {name: sorted(p for p in packages if p == "flask" or p.startswith("flask_"))
                 for name, packages in imports.items()}
    assert {name: found for name, found in offenders.items() if found} == {}

"""The project is an installable package: scripts and tools import it from any folder, and no
script edits ``sys.path`` to find it."""

from __future__ import annotations

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

"""The Qt boundary: only stratus_commander.qt may import PySide6, qasync or pyqtgraph."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent))


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS, "import-linter is part of the test extra"
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "stratus_commander",
        tmp_path / "stratus_commander",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_core_is_qt_free(tree_copy: Path) -> None:
    result = _lint(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("module", ["PySide6.QtCore", "qasync", "pyqtgraph"])
def test_a_core_module_importing_qt_breaks_the_contract(tree_copy: Path, module: str) -> None:
    target = tree_copy / "stratus_commander" / "incident" / "deadlines.py"
    target.write_text(target.read_text() + f"\nimport {module}  # noqa\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "stratus_commander.incident.deadlines" in result.stdout


def test_new_core_modules_are_covered_too(tree_copy: Path) -> None:
    (tree_copy / "stratus_commander" / "brand_new.py").write_text("import pyqtgraph  # noqa\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "stratus_commander.brand_new" in result.stdout

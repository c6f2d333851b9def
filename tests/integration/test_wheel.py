"""resources/ and ui/ ship inside the wheel and are found from an installed wheel too."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("stratus_commander-*.whl")
    return built


def test_wheel_carries_resources_and_forms(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "stratus_commander/_data/resources/runbooks/stratusconnect.toml" in names
    assert any(n.startswith("stratus_commander/_data/ui/") for n in names)
    assert "stratus_commander/qt/app.py" in names
    # Every resource the app reads, and not the README's screenshots (most of the size).
    shipped = {n.split("/")[3] for n in names if n.startswith("stratus_commander/_data/resources/")}
    on_disk = {p.name for p in (ROOT / "resources").iterdir() if p.is_dir()}
    assert shipped == on_disk - {"screenshots"}
    (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    # The desktop file launches the GUI script (no console window on Windows).
    assert "[gui_scripts]\nstratus-commander-gui = stratus_commander.cli:main" in text


def test_installed_wheel_finds_its_resources(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    code = (
        "from stratus_commander.resources import resource_path, ui_path\n"
        "from stratus_commander.runbook import load_runbook\n"
        "p = resource_path('runbooks', 'stratusconnect.toml')\n"
        "print(p)\n"
        "print(ui_path('x').parent)\n"
        "print(load_runbook().name)\n"
    )
    # PYTHONPATH comes before site-packages, so the wheel's copy shadows the editable checkout.
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(target)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    runbook, ui_dir, name = result.stdout.splitlines()
    assert runbook.startswith(str(target)) and Path(runbook).is_file()
    assert ui_dir.startswith(str(target))
    assert name

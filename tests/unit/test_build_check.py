"""make build-check (bench/cold_import.py --built): a built function that needs what its layer does
not carry fails the check, named."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import cold_import

pytestmark = pytest.mark.unit


def built(tmp_path: Path, handlers: dict[str, str]) -> Path:
    (tmp_path / "SharedLayer" / "python" / "shared").mkdir(parents=True)
    (tmp_path / "SharedLayer" / "python" / "shared" / "__init__.py").write_text("")
    for name, code in handlers.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "handler.py").write_text(code)
    return tmp_path


def functions(code_of_last: str) -> dict[str, str]:
    count = len(list(cold_import.ROOT.glob("functions/*/handler.py")))
    handlers = {f"Fn{n}Function": "import shared\n" for n in range(count - 1)}
    handlers["LastFunction"] = code_of_last
    return handlers


def test_functions_that_import_with_only_their_layer_pass(tmp_path):
    cold_import.check_built(built(tmp_path, functions("import shared, json\n")), runs=1)


def test_a_function_that_needs_more_than_its_layer_fails_named(tmp_path):
    # PyYAML is in the project's venv (the local extra), not in the layer
    with pytest.raises(SystemExit, match=r"LastFunction: its handler does not import.*yaml"):
        cold_import.check_built(built(tmp_path, functions("import yaml\n")), runs=1)


def test_a_build_missing_a_function_fails(tmp_path):
    with pytest.raises(SystemExit, match="expected"):
        cold_import.check_built(built(tmp_path, {"OnlyFunction": "import shared\n"}), runs=1)

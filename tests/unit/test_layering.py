"""The shape the design card asks for: a plain-Python domain and thin handlers."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports; `from package import name` counts `package.name` too."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "shared" / "domain").glob("*.py")), ids=lambda p: p.name)
def test_the_domain_imports_neither_boto3_nor_httpx(path):
    roots = {name.split(".")[0] for name in imported_modules(path)}
    assert not roots & {"boto3", "botocore", "httpx", "moto"}, path


@pytest.mark.parametrize("path", sorted((ROOT / "shared" / "domain").glob("*.py")), ids=lambda p: p.name)
def test_the_domain_imports_only_the_domain(path):
    outside = {name for name in imported_modules(path) if name.split(".")[0] == "shared"}
    assert {name for name in outside if not name.startswith("shared.domain")} == set(), path


@pytest.mark.parametrize(
    "path", sorted((ROOT / "functions").glob("*/handler.py")), ids=lambda p: p.parent.name
)
def test_handlers_are_thin_and_reach_aws_only_through_shared(path):
    roots = {name.split(".")[0] for name in imported_modules(path)}
    assert not roots & {"boto3", "botocore", "httpx"}, path
    # the console API's handler is its route table: a few lines a route (23 routes and their errors;
    # 300 since the dead-letter routes, 320 since channel removal and a partly written import, 324
    # since the import runs without the collector; each a call to its service and its answer's model
    # dumped)
    assert len(path.read_text().splitlines()) < (324 if path.parent.name == "api" else 200)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "functions").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_handlers_reach_storage_only_through_services(path):
    reached = {name for name in imported_modules(path) if name.startswith("shared.storage")}
    assert reached == set(), path


@pytest.mark.parametrize("path", sorted((ROOT / "shared" / "services").glob("*.py")), ids=lambda p: p.name)
def test_services_reach_aws_only_through_storage(path):
    reached = imported_modules(path)
    assert not {name.split(".")[0] for name in reached} & {"boto3", "botocore"}, path
    assert not {name for name in reached if name.startswith("shared.storage.aws")}, path


MAX_LINES = 500


def test_no_module_of_the_product_is_over_500_lines():
    """One idea per module: past 500 lines a module holds several, and is split by them."""
    long = {
        str(path.relative_to(ROOT)): n
        for folder in ("shared", "tidemark", "functions")
        for path in (ROOT / folder).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long

"""The console's web page from the API's origin (tidemark/local/console_files.py)."""

from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from tidemark.local import console_files

pytestmark = pytest.mark.unit


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>console</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('page')" * 50)
    (tmp_path.parent / "secret.txt").write_text("not served")
    return TestClient(_Asgi(tmp_path))


class _Asgi:
    """An app that answers every request with the page (HttpApi does, outside /v1)."""

    def __init__(self, built: Path) -> None:
        self.built = built

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await console_files.answer(Request(scope, receive), built=self.built)(scope, receive, send)


def test_the_page_and_its_assets_with_their_types(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    script = client.get("/assets/index-abc123.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "immutable" in script.headers["cache-control"]


def test_a_screens_path_gets_the_page_and_a_missing_asset_404(client: TestClient) -> None:
    assert client.get("/jobs/abc").text.startswith("<!doctype html>")
    assert client.get("/assets/gone.js").status_code == 404
    assert client.get("/favicon.ico").status_code == 404


def test_nothing_outside_the_build_is_served(client: TestClient) -> None:
    assert client.get("/../secret.txt").status_code in (200, 404)
    assert "not served" not in client.get("/..%2fsecret.txt").text
    assert "not served" not in client.get("/assets/../../secret.txt").text


def test_gzip_when_the_browser_takes_it(client: TestClient) -> None:
    answer = client.get("/assets/index-abc123.js", headers={"accept-encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.text.startswith("console.log")  # the client decompressed it
    assert int(answer.headers["content-length"]) < len(answer.content)


def test_the_api_keeps_its_paths() -> None:
    assert console_files.is_page("GET", "/")
    assert console_files.is_page("GET", "/listings")
    assert not console_files.is_page("GET", "/v1/jobs")
    assert not console_files.is_page("POST", "/")
    assert not console_files.is_page("POST", "/local/cognito")


def test_not_built_says_how(tmp_path: Path) -> None:
    answer = TestClient(_Asgi(tmp_path / "missing")).get("/")
    assert answer.status_code == 503
    assert "make console" in answer.text


def test_a_built_page_is_not_built_again(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<!doctype html>")
    assert console_files.build_if_missing(tmp_path) is None


def test_no_npm_says_how_to_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    problem = console_files.build_if_missing(tmp_path)
    assert problem is not None and "make console" in problem

"""The shipped schemas are valid, and the book and module commands have help text."""

import pytest
from imatter.book.findings import load_schema
from imatter.cli import COMMANDS, main


@pytest.mark.parametrize("name", ["course", "session"])
def test_schema_is_valid_json_schema(name):
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(load_schema(name))


@pytest.mark.parametrize(
    "args",
    [
        ["book"],
        ["book", "build"],
        ["book", "serve"],
        ["book", "toc"],
        ["book", "audit"],
        ["module"],
        ["module", "new"],
        ["module", "lint"],
        ["module", "strip"],
    ],
)
def test_commands_have_help(args, capsys):
    assert main([*args, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: imatter ")
    assert len(out.splitlines()) > 3


def test_registered_lazily():
    assert COMMANDS["book"][0] == COMMANDS["module"][0] == "imatter.cli.book"


def test_cli_import_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, imatter.cli.book;"
        "heavy = [m for m in ('sphinx', 'nbformat', 'jupyter_book', 'textstat', 'jsonschema')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_serve_serves_the_built_site(tmp_path):
    import threading
    import urllib.request

    from imatter.book.serve import make_server, server_url
    from imatter.errors import NotFound

    with pytest.raises(NotFound, match="run `imatter book build` first"):
        make_server(tmp_path, port=0)
    (tmp_path / "index.html").write_text("<p>hello</p>")
    server = make_server(tmp_path, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = server_url(server)
        assert url.startswith("http://localhost:")
        with urllib.request.urlopen(url + "index.html") as response:
            assert response.read() == b"<p>hello</p>"
            assert response.headers["Cache-Control"] == "no-store"
    finally:
        server.shutdown()
        server.server_close()


def test_book_commands_need_a_project(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IMATTER_PROGRAMME", raising=False)
    assert main(["book", "build"]) == 1
    assert "no _config.yml in" in capsys.readouterr().err


def test_audit_without_a_build(project, capsys):
    assert main(["book", "audit", "--root", str(project.root)]) == 1
    assert "no built book; run `imatter book build` first" in capsys.readouterr().err


def test_toc_command(project, capsys):
    assert main(["book", "toc", "--root", str(project.root)]) == 0
    assert capsys.readouterr().out.startswith(f"Wrote {project.toc_path}")
    assert (project.catalogue_dir / "programme-map.md").is_file()


def test_serve_says_in_one_line_when_its_port_is_busy(project, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["book", "serve", "--root", str(project.root), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1
    assert err == (
        f"Error: port {port} on 127.0.0.1 is already in use (is another `imatter book serve` "
        "running?); stop it, or choose another port with --port\n"
    )

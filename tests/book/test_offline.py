"""The offline audit finds every request to another host, and only those."""

from pathlib import Path

from imatter.book.offline import audit_offline, audit_page


def test_local_pages_and_plain_links_pass():
    page = (
        '<html><head><link rel="stylesheet" href="_static/a.css">'
        '<script src="../_static/widgets/require.js"></script>'
        '<link rel="canonical" href="https://example.org/page.html"></head>'
        '<body><a href="https://example.org">a link is not a request</a>'
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="local.png"/></svg>'
        '<script type="application/vnd.jupyter.widget-state+json">{"u": "https://x.org"}</script>'
        '<script>var ns = "http://www.w3.org/2000/svg";</script>'
        "</body></html>"
    )
    assert audit_page(page) == []


def test_every_kind_of_remote_fetch_is_found():
    page = (
        '<script src="https://cdn.example.com/lib.js"></script>'
        "<link rel='stylesheet' href='//fonts.example.com/css'>"
        '<link rel="preload" as="font" href="http://fonts.example.com/f.woff2">'
        '<img src="https://img.example.com/a.png" alt="A">'
        '<img srcset="small.png 1x, https://img.example.com/b.png 2x" alt="B">'
        '<iframe src="https://video.example.com/embed"></iframe>'
        '<div style="background: url(https://img.example.com/bg.png)"></div>'
        "<style>@import 'https://fonts.example.com/x.css'; /* url(https://ignored.com) */</style>"
        '<script>fetch("https://api.example.com/data")</script>'
    )
    problems = audit_page(page)
    assert problems == [
        "<script src=https://cdn.example.com/lib.js>",
        "<link rel=stylesheet href=//fonts.example.com/css>",
        "<link rel=preload href=http://fonts.example.com/f.woff2>",
        "<img src=https://img.example.com/a.png>",
        "<img srcset=https://img.example.com/b.png>",
        "<iframe src=https://video.example.com/embed>",
        "style attribute url(https://img.example.com/bg.png)",
        "<style> url(https://fonts.example.com/x.css)",
        "inline <script> names https://api.example.com/data",
    ]


def test_site_audit_reads_pages_and_stylesheets(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text("<p>fine</p>")
    (tmp_path / "sub" / "page.html").write_text('<script src="https://x.org/a.js"></script>')
    (tmp_path / "site.css").write_text("body { background: url('https://x.org/b.png') }")
    assert audit_offline(tmp_path) == [
        "site.css: stylesheet url(https://x.org/b.png)",
        "sub/page.html: <script src=https://x.org/a.js>",
    ]
    assert audit_offline(tmp_path, since=10**12) == []

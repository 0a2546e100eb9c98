"""The Markdown reading behind the linter."""

from imatter.book import markdown as md


def test_headings_ignore_code_and_directives():
    text = (
        "# Title\n\n```python\n# not a heading\n```\n\n"
        "```{admonition} Note\n## inside\n```\n## Real\n"
    )
    assert [(h.level, h.text) for h in md.headings(text)] == [(1, "Title"), (2, "Real")]


def test_images_in_every_form():
    text = (
        '![](a.png) ![A dog](b.png)\n<img src=\'c.png\'> <img alt="Cat" src="d.png">\n'
        "```{figure} e.png\n:alt: A tree\n\nCaption\n```\n```{image} f.png\n:width: 50%\n```\n"
    )
    assert [(i.source, i.alt, i.kind) for i in md.images(text)] == [
        ("a.png", "", "markdown"),
        ("b.png", "A dog", "markdown"),
        ("c.png", "", "html"),
        ("d.png", "Cat", "html"),
        ("e.png", "A tree", "directive"),
        ("f.png", "", "directive"),
    ]


def test_links_in_every_form():
    text = '[a](x.ipynb) ![img](i.png) <a href="y.md">y</a> {doc}`Title <z>` {doc}`w`\n'
    assert [(link.target, link.kind) for link in md.links(text)] == [
        ("x.ipynb", "markdown"),
        ("y.md", "html"),
        ("z", "doc"),
        ("w", "doc"),
    ]


def test_prose_keeps_words_and_makes_sentences():
    text = (
        "# Heading\n\nBy the end you will:\n\n- **notice** stress\n- try [one idea](x.md)\n\n"
        "| a | b |\n|---|---|\n\nBowlby saw this (Bowlby, 1969). See `code`.\n\n"
        "```python\nx = 1\n```\n\n"
        "```{admonition} Tip\n:class: dropdown\n\nBreathe out slowly\n```\n"
    )
    assert md.prose(text) == (
        "By the end you will.\nnotice stress.\ntry one idea.\nBowlby saw this. See .\n"
        "Breathe out slowly."
    )


def test_split_sentences():
    assert md.split_sentences('One. Two! "Three?" Four') == ["One.", "Two!", '"Three?"', "Four"]

"""Authoring and publishing: course modules in, an offline Jupyter Book out.

The data flow, one module per step:

- `project`: where the book lives (`_config.yml`, `modules/`, `book/`) and each course's
  teaching material (course.yml + session notebooks), read against the programme catalogue.
- `toc` and `pages`: the table of contents and the catalogue pages (course pages, the programme
  map, the role requirements), generated from `modules/programme.yml`; `programme_map` draws
  the map as an SVG with no JavaScript.
- `execute`: runs changed notebooks in parallel into the jupyter-cache that MyST-NB reads.
- `build`: the whole build (skipped when no input changed), then `offline` audits the HTML
  for requests to other hosts. `sphinx_ext` ships require.js and the widget manager locally.
- `serve`: a local preview server.
- `lint` (course folders and course.yml) with `lint_notebook` (session notebooks, and
  `imatter module strip`), `findings`, `markdown` and `readability`; and `scaffold`: the
  authoring tools behind `imatter module lint` and `imatter module new`.

Heavy libraries (Sphinx, Jupyter Book, nbformat, jupyter-cache, textstat, jsonschema) are
imported inside the functions that use them.
"""

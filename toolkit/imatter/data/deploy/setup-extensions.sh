#!/bin/sh
# Learners see nbgrader's Assignments list and Validate button, and not the marking tools.
# Run once, with the Jupyter that serves everyone first on PATH (the Dockerfile does this;
# on one server: PATH=/opt/imatter/venv/bin:$PATH sh setup-extensions.sh).
# The marking account turns the marking tools back on through /opt/imatter/grader-jupyter.
set -eu
for plugin in formgrader create-assignment course-list; do
    jupyter labextension disable --level=sys_prefix "@jupyter/nbgrader:$plugin"
done
for extension in formgrader course_list; do
    jupyter server extension disable --sys-prefix "nbgrader.server_extensions.$extension"
done

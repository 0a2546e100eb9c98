#!/bin/sh
# Learners see nbgrader's Assignments list and Validate button, and not the marking tools.
# Staff servers serve the dashboards at /user/<name>/imatter/dashboard/lead, as that person
# (imatter.dashboards.hub: it does nothing in a learner's server, which holds no records).
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
# The toolkit's wheel ships no Jupyter config file, so it is written here (what `jupyter
# server extension enable` would toggle).
prefix=$(python3 -c 'import sys; print(sys.prefix)')
mkdir -p "$prefix/etc/jupyter/jupyter_server_config.d"
printf '{"ServerApp": {"jpserver_extensions": {"imatter.dashboards.hub": true}}}\n' \
    > "$prefix/etc/jupyter/jupyter_server_config.d/imatter.json"
jupyter server extension list 2>&1 | grep -q 'imatter.dashboards.hub.*OK'

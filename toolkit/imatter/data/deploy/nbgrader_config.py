# nbgrader for everyone on the hub: install as /opt/imatter/venv/etc/jupyter/nbgrader_config.py
# on one server (the Dockerfile copies it to /etc/jupyter in the Kubernetes image; Jupyter
# reads both). Learners' servers read it to find the course's
# assessments in the exchange; the marking account reads it too.
#
# The exchange is a folder that every server mounts at the same place. On one server it is a
# local folder; on Kubernetes it is a shared (ReadWriteMany) volume. nbgrader's file
# permissions keep one learner's submission out of another's sight, so each person's server
# must run as a different system user (see the guide's privacy check).
#
# No nbgrader log file is set: nbgrader's log can quote what learners wrote.
import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "{{course_id}}"
c.Exchange.root = "/srv/nbgrader/exchange"
c.Exchange.timezone = "Europe/London"

# The gradebook is shared by every marker in PostgreSQL (any SQLAlchemy URL) when
# NBGRADER_DB_URL is set; the hub passes it to staff only. nbgrader's own tools (the
# formgrader, plain `nbgrader` commands) read it here, and `imatter assess` reads it too.
gradebook = os.environ.get("NBGRADER_DB_URL")
if gradebook:
    c.CourseDirectory.db_url = gradebook

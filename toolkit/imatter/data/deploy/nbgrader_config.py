# nbgrader for everyone on the hub: install as /etc/jupyter/nbgrader_config.py (the Dockerfile
# copies it there in the Kubernetes image). Learners' servers read it to find the course's
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

# nbgrader's own tools (the formgrader, plain `nbgrader` commands) can keep the gradebook in
# PostgreSQL (any SQLAlchemy URL) when NBGRADER_DB_URL is set; the hub passes it to staff only.
# `imatter assess` keeps each course directory's gradebook in its gradebook.db file and does
# not read this, so leave NBGRADER_DB_URL unset while markers use `imatter assess`.
gradebook = os.environ.get("NBGRADER_DB_URL")
if gradebook:
    c.CourseDirectory.db_url = gradebook

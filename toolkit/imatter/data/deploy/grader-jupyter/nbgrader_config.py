# nbgrader for the shared marking account only. The hub points that account's server at this
# folder (JUPYTER_CONFIG_PATH=/opt/imatter/grader-jupyter), so nobody else reads it.
# The course directory lives in the account's home folder; create it there with
#   imatter assess --course-dir ~/{{course_id}} init --course-id {{course_id}} \
#       --exchange /srv/nbgrader/exchange
import os

c = get_config()  # noqa: F821

c.CourseDirectory.root = os.path.expanduser("~/{{course_id}}")

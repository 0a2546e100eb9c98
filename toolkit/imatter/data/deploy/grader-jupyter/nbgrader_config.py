# nbgrader for the shared marking account only. The hub points that account's server at this
# folder (JUPYTER_CONFIG_PATH=/opt/imatter/grader-jupyter), so nobody else reads it.
# The course directory lives in the staff workspace, where every member of staff can mark it
# from their own dashboard too; create it there, in the marking server's terminal, with
#   export IMATTER_COURSE_DIR=/srv/imatter/workspace/assess/{{course_id}}
#   imatter assess init --course-id {{course_id}} --setting SETTING \
#       --exchange /srv/nbgrader/exchange
import os

c = get_config()  # noqa: F821

workspace = os.environ.get("IMATTER_WORKSPACE", "/srv/imatter/workspace")
c.CourseDirectory.root = os.path.join(workspace, "assess", "{{course_id}}")

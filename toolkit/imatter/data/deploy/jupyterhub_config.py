# JupyterHub on one server for the I Matter course: learners, staff, and a marking account.
#
# Install as /etc/jupyterhub/jupyterhub_config.py; jupyterhub.service starts the hub with it.
# Written for JupyterHub 5 with its defaults (PAM sign-in, one local process per person), so
# every hub user is a system account of the same name. nbgrader's exchange needs that: it
# labels each submission with the system account's name, which must be the learner's
# toolkit id (p12 for person 12).
#
# Nothing secret is written here. The hub reads its settings from the environment, which
# jupyterhub.service loads from /etc/imatter/hub.env (see hub.env.example):
#   IMATTER_DB          the records database URL, password included (staff servers only)
#   IMATTER_WORKSPACE   the shared workspace folder (staff servers only)
#   IMATTER_PROGRAMME   the programme file (everyone: it holds nothing personal, and the
#                       first cell of each course notebook reads it)
#   IMATTER_ASSESSMENTS the assessment sources, with their answers (staff servers only)
#   NBGRADER_DB_URL     the gradebook all markers share (staff servers only)
#   JUPYTERHUB_DB_URL   the hub's own database (the hub alone; never passed on)
#   IMATTER_HUB_ADMINS  hub admins, comma-separated
#   IMATTER_HUB_STAFF   staff who mark and keep records, comma-separated
#
# Who gets what:
#   everyone     IMATTER_USER is their hub name, and the programme file; the toolkit asks
#                the hub with the server's token who is acting, and trusts the hub's answer
#                over any variable;
#   staff        the records database too. Learners never get it: anyone can run any code
#                in their own server, so a learner's server must hold no database password;
#   grader-...   the shared marking account owns the course directory. Staff open its
#                server to release, collect and mark; its own Jupyter settings turn on
#                nbgrader's formgrader and assignment tools there, and only there.
import os
import sys

c = get_config()  # noqa: F821

COURSE_ID = "{{course_id}}"
STAFF_GROUP = f"formgrade-{COURSE_ID}"  # nbgrader's name for the people who mark a course
GRADER = f"grader-{COURSE_ID}"  # the shared marking account
# The venv the hub runs from (/opt/imatter/venv) holds the toolkit, nbgrader and JupyterLab
# for everyone; the marking account's Jupyter settings sit beside it.
VENV = sys.prefix
GRADER_JUPYTER = os.path.join(os.path.dirname(VENV), "grader-jupyter")
STAFF_SETTINGS = (
    "IMATTER_DB",
    "IMATTER_WORKSPACE",
    "IMATTER_ASSESSMENTS",
    "NBGRADER_DB_URL",
)
EVERYONE_SETTINGS = ("IMATTER_PROGRAMME",)  # keep the file readable by all (chmod 644)


def names(variable):
    """The comma-separated names in an environment variable, as a sorted list."""
    return sorted({n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()})


# ---- the hub
c.JupyterHub.bind_url = "http://127.0.0.1:8000"  # put HTTPS in front of it (see the guide)
# The hub's own database: PostgreSQL when JUPYTERHUB_DB_URL is set (hub.env), else SQLite.
c.JupyterHub.db_url = os.environ.get(
    "JUPYTERHUB_DB_URL", "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
)
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/jupyterhub_cookie_secret"

# ---- who may sign in: members of the system group "imatter" (learners' accounts are named
# by their toolkit id, p12 for person 12), and the admins.
c.LocalAuthenticator.allowed_groups = {"imatter"}
c.Authenticator.admin_users = set(names("IMATTER_HUB_ADMINS"))  # they can open any server

# ---- staff, and the marking server they share
c.JupyterHub.load_groups = {STAFF_GROUP: [*names("IMATTER_HUB_STAFF"), GRADER]}
c.JupyterHub.load_roles = [
    {
        "name": "imatter-markers",
        "description": "Staff may start and use the shared marking server.",
        "groups": [STAFF_GROUP],
        "scopes": [f"servers!user={GRADER}", f"access:servers!user={GRADER}"],
    },
    {
        "name": "idle-culler",
        "description": "Stop servers nobody has used for an hour.",
        "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    },
]
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600"],
    },
]


# ---- each person's server
def imatter_environment(spawner):
    """Tell a server who is acting and, for staff only, where the records are."""
    user = spawner.user
    env = dict(spawner.environment)
    env["IMATTER_USER"] = user.name
    env.update({k: os.environ[k] for k in EVERYONE_SETTINGS if os.environ.get(k)})
    if STAFF_GROUP in {group.name for group in user.groups}:
        env.update({k: os.environ[k] for k in STAFF_SETTINGS if os.environ.get(k)})
    if user.name == GRADER:
        env["JUPYTER_CONFIG_PATH"] = GRADER_JUPYTER
    spawner.environment = env


c.Spawner.cmd = [f"{VENV}/bin/jupyterhub-singleuser"]
c.Spawner.environment = {"PATH": f"{VENV}/bin:/usr/local/bin:/usr/bin:/bin"}
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.disable_user_config = True  # ignore Jupyter server settings in home folders
c.Spawner.pre_spawn_hook = imatter_environment

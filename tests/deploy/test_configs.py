"""The shipped configuration files, loaded by the loaders that read them in production:
traitlets for JupyterHub and nbgrader, YAML for Helm and Kubernetes. Learners' servers never
get the records database; staff and the marking account do."""

from __future__ import annotations

import json
import re
import sys
import tomllib
import types
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import yaml

from .conftest import COURSE, ROOT, load_py_config

DB_URL = "postgresql+psycopg://imatter:s3cret@db.example.org/imatter"
STAFF_GROUP = f"formgrade-{COURSE}"
GRADER = f"grader-{COURSE}"


def fake_user(name: str, *groups: str, user_id: int = 1) -> SimpleNamespace:
    return SimpleNamespace(name=name, id=user_id, groups=[SimpleNamespace(name=g) for g in groups])


# ---------------------------------------------------------------- nbgrader
@pytest.fixture
def no_gradebook_env(monkeypatch):
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)


def test_nbgrader_config_sets_course_and_exchange(written, no_gradebook_env):
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default.exchange import Exchange

    config = load_py_config(written / "nbgrader_config.py")
    assert config.CourseDirectory.course_id == COURSE
    assert config.Exchange.root == "/srv/nbgrader/exchange"
    assert "db_url" not in config.CourseDirectory
    for cls in (CourseDirectory, Exchange):
        traits = cls.class_traits(config=True)
        assert set(config[cls.__name__]) <= set(traits), cls.__name__
    coursedir = CourseDirectory(config=config)
    assert coursedir.course_id == COURSE
    assert coursedir.db_url.startswith("sqlite:///")  # nbgrader's own default


def test_nbgrader_gradebook_url_comes_from_the_environment(written, monkeypatch):
    from nbgrader.coursedir import CourseDirectory

    monkeypatch.setenv("NBGRADER_DB_URL", "postgresql://marker@db.example.org/gradebook")
    config = load_py_config(written / "nbgrader_config.py")
    assert config.CourseDirectory.db_url == "postgresql://marker@db.example.org/gradebook"
    assert CourseDirectory(config=config).db_url == "postgresql://marker@db.example.org/gradebook"


def test_marking_account_finds_its_course_directory_in_the_workspace(
    written, monkeypatch, tmp_path
):
    from nbgrader.coursedir import CourseDirectory

    monkeypatch.setenv("IMATTER_WORKSPACE", str(tmp_path))
    config = load_py_config(written / "grader-jupyter" / "nbgrader_config.py")
    assert CourseDirectory(config=config).root == str(tmp_path / "assess" / COURSE)


# ---------------------------------------------------------------- JupyterHub on one server
@pytest.fixture
def hub_env(monkeypatch):
    monkeypatch.setenv("IMATTER_DB", DB_URL)
    monkeypatch.setenv("IMATTER_WORKSPACE", "/srv/imatter/workspace")
    monkeypatch.setenv("IMATTER_PROGRAMME", "/srv/imatter/programme.yml")
    monkeypatch.setenv("IMATTER_ASSESSMENTS", "/srv/imatter/assessments")
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    monkeypatch.setenv("IMATTER_HUB_ADMINS", "it-admin")
    monkeypatch.setenv("IMATTER_HUB_STAFF", "sam, alex,,sam")


@pytest.fixture
def hub_config(written, hub_env):
    return load_py_config(written / "jupyterhub_config.py")


def test_hub_knows_its_admins_staff_and_marking_account(hub_config):
    assert hub_config.Authenticator.admin_users == {"it-admin"}
    assert hub_config.LocalAuthenticator.allowed_groups == {"imatter"}
    assert hub_config.JupyterHub.load_groups == {STAFF_GROUP: ["alex", "sam", GRADER]}
    roles = {role["name"]: role for role in hub_config.JupyterHub.load_roles}
    assert roles["imatter-markers"]["groups"] == [STAFF_GROUP]
    assert set(roles["imatter-markers"]["scopes"]) == {
        f"servers!user={GRADER}",
        f"access:servers!user={GRADER}",
    }
    assert roles["idle-culler"]["services"] == ["idle-culler"]
    (culler,) = hub_config.JupyterHub.services
    assert culler["name"] == "idle-culler"
    assert culler["command"][1:] == ["-m", "jupyterhub_idle_culler", "--timeout=3600"]


def test_hub_runs_everyone_from_the_shared_environment(hub_config):
    # The venv the hub runs from (/opt/imatter/venv on a server) serves everyone.
    assert hub_config.Spawner.cmd == [f"{sys.prefix}/bin/jupyterhub-singleuser"]
    assert hub_config.Spawner.environment["PATH"].startswith(f"{sys.prefix}/bin:")
    assert hub_config.Spawner.disable_user_config is True
    assert hub_config.JupyterHub.bind_url == "http://127.0.0.1:8000"


def spawn(hub_config, user):  # type: ignore[no-untyped-def]
    spawner = SimpleNamespace(user=user, environment=dict(hub_config.Spawner.environment))
    hub_config.Spawner.pre_spawn_hook(spawner)
    return spawner.environment


def test_a_learner_is_named_but_never_given_the_records(hub_config):
    env = spawn(hub_config, fake_user("p12"))
    assert env["IMATTER_USER"] == "p12"
    assert env["PATH"] == hub_config.Spawner.environment["PATH"]
    for name in ("IMATTER_DB", "IMATTER_WORKSPACE", "IMATTER_ASSESSMENTS", "JUPYTER_CONFIG_PATH"):
        assert name not in env
    assert DB_URL not in json.dumps(env)
    # the programme (nothing personal) for the course notebooks' first cell
    assert env["IMATTER_PROGRAMME"] == "/srv/imatter/programme.yml"


def test_staff_get_the_records_and_the_marking_account_its_tools(hub_config):
    staff = spawn(hub_config, fake_user("sam", STAFF_GROUP))
    assert staff["IMATTER_USER"] == "sam"
    assert staff["IMATTER_DB"] == DB_URL
    assert staff["IMATTER_WORKSPACE"] == "/srv/imatter/workspace"
    assert staff["IMATTER_ASSESSMENTS"] == "/srv/imatter/assessments"
    assert "NBGRADER_DB_URL" not in staff  # unset on the hub: not passed on
    assert "JUPYTER_CONFIG_PATH" not in staff
    grader = spawn(hub_config, fake_user(GRADER, STAFF_GROUP))
    assert grader["IMATTER_USER"] == GRADER
    assert grader["IMATTER_DB"] == DB_URL
    assert grader["JUPYTER_CONFIG_PATH"] == str(Path(sys.prefix).parent / "grader-jupyter")


def test_no_secret_is_written_in_the_hub_files(written):
    example = (written / "hub.env.example").read_text()
    password = urlsplit(re.search(r"^IMATTER_DB=(.*)$", example, re.M).group(1)).password
    assert password
    for name in ("jupyterhub_config.py", "z2jh-values.yaml", "jupyterhub.service"):
        assert password not in (written / name).read_text(), name
    service = (written / "jupyterhub.service").read_text()
    assert "EnvironmentFile=/etc/imatter/hub.env" in service
    assert "ExecStart=/opt/imatter/venv/bin/jupyterhub -f /etc/jupyterhub/jupyterhub_config.py" in (
        service
    )


# ---------------------------------------------------------------- Zero to JupyterHub
@pytest.fixture
def values(written):
    return yaml.safe_load((written / "z2jh-values.yaml").read_text())


@pytest.fixture
def manifests(written):
    docs = list(yaml.safe_load_all((written / "kubernetes.yaml").read_text()))
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs if doc}


def test_values_have_what_the_chart_needs(values, written, no_gradebook_env):
    single = values["singleuser"]
    assert single["image"]["name"] and single["image"]["tag"]
    assert single["defaultUrl"] == "/lab"
    (volume,) = single["storage"]["extraVolumes"]
    (mount,) = single["storage"]["extraVolumeMounts"]
    assert mount["name"] == volume["name"]
    exchange_root = load_py_config(written / "nbgrader_config.py").Exchange.root
    assert mount["mountPath"] == exchange_root
    assert values["cull"]["enabled"] is True
    assert values["cull"]["timeout"] == 3600 and values["cull"]["every"] > 0
    kernels = single["extraFiles"]["kernel-culling"]["data"]["MappingKernelManager"]
    assert 0 < kernels["cull_idle_timeout"] < values["cull"]["timeout"]


def _bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]?)", size).groups()
    return int(float(number) * {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}[unit])


def test_resources_suit_notebook_learners(values):
    cpu, memory = values["singleuser"]["cpu"], values["singleuser"]["memory"]
    assert 0 < cpu["guarantee"] <= cpu["limit"] <= 2
    assert 256 * 10**6 <= _bytes(memory["guarantee"]) <= _bytes(memory["limit"]) <= 4 * 10**9


def test_hub_database_is_postgres_without_a_password_in_the_file(values):
    db = values["hub"]["db"]
    assert db["type"] == "postgres"
    url = urlsplit(db["url"])
    assert url.scheme.startswith("postgresql") and url.password is None and url.username
    secret = values["hub"]["extraEnv"]["PGPASSWORD"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "jupyterhub-db", "key": "password"}


def test_records_database_comes_from_a_secret_for_staff_only(values):
    staff_env = values["custom"]["imatter"]["staffEnv"]
    assert staff_env["IMATTER_DB"]["valueFrom"]["secretKeyRef"] == {
        "name": "imatter-db",
        "key": "url",
    }
    assert "IMATTER_DB" not in (values["singleuser"].get("extraEnv") or {})
    assert values["custom"]["imatter"]["courseId"] == COURSE
    config = values["hub"]["config"]["JupyterHub"]
    assert config["load_groups"] == {STAFF_GROUP: [GRADER]}
    (role,) = config["load_roles"]
    assert role["groups"] == [STAFF_GROUP]
    assert set(role["scopes"]) == {f"servers!user={GRADER}", f"access:servers!user={GRADER}"}


@pytest.fixture
def kube_hook(values, monkeypatch):
    """hub.extraConfig run as the chart runs it, with z2jh's get_config reading the values."""
    from traitlets.config import Config

    def get_config(key, default=None):
        node = values
        for part in key.split("."):
            node = node[part]
        return node

    monkeypatch.setitem(sys.modules, "z2jh", types.SimpleNamespace(get_config=get_config))
    config = Config()
    code = values["hub"]["extraConfig"]["imatter.py"]
    exec(compile(code, "imatter.py", "exec"), {"c": config})
    return config.KubeSpawner


def kube_spawn(hook, user):  # type: ignore[no-untyped-def]
    spawner = SimpleNamespace(
        user=user,
        environment={"JUPYTER_IMAGE": "x"},
        volumes=[{"name": "home"}],
        volume_mounts=[{"name": "home", "mountPath": "/home/jovyan"}],
        extra_labels={"hub.jupyter.org/network-access-hub": "true"},
    )
    hook.pre_spawn_hook(spawner)
    return spawner


def test_kubernetes_learner_gets_no_records_and_a_uid_of_their_own(kube_hook):
    learner = kube_spawn(kube_hook, fake_user("p12", user_id=5))
    assert learner.environment == {"JUPYTER_IMAGE": "x", "IMATTER_USER": "p12"}
    assert [v["name"] for v in learner.volumes] == ["home"]
    assert "imatter/staff" not in learner.extra_labels
    uids = {kube_hook.uid(SimpleNamespace(user=fake_user("p", user_id=i))) for i in (1, 2, 3)}
    assert len(uids) == 3 and min(uids) >= 1000


def test_kubernetes_staff_get_the_secret_workspace_and_label(kube_hook, values, manifests):
    staff = kube_spawn(kube_hook, fake_user("sam", STAFF_GROUP))
    assert staff.environment["IMATTER_USER"] == "sam"
    assert staff.environment["IMATTER_DB"]["valueFrom"]["secretKeyRef"]["name"] == "imatter-db"
    assert staff.environment["IMATTER_WORKSPACE"] == "/srv/imatter/workspace"
    assert [v["name"] for v in staff.volumes] == ["home", "imatter-workspace"]
    assert staff.volume_mounts[-1]["mountPath"] == "/srv/imatter/workspace"
    policy = manifests[("NetworkPolicy", "imatter-staff-to-records")]
    for key, value in values["custom"]["imatter"]["staffLabels"].items():
        assert staff.extra_labels[key] == value
        assert policy["spec"]["podSelector"]["matchLabels"][key] == value
    grader = kube_spawn(kube_hook, fake_user(GRADER, STAFF_GROUP))
    assert grader.environment["JUPYTER_CONFIG_PATH"] == "/opt/imatter/grader-jupyter"


def test_volumes_are_shared_and_match_the_claims_the_values_use(values, manifests):
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in values["singleuser"]["storage"]["extraVolumes"]
        + values["custom"]["imatter"]["staffVolumes"]
    }
    assert claims == {"nbgrader-exchange", "imatter-workspace"}
    for claim in claims:
        pvc = manifests[("PersistentVolumeClaim", claim)]
        assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
        pv = manifests[("PersistentVolume", pvc["spec"]["volumeName"])]
        assert pv["spec"]["accessModes"] == ["ReadWriteMany"]
        assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"


# ---------------------------------------------------------------- the image
def test_dockerfile_builds_on_docker_stacks_and_installs_the_toolkit(written):
    text = (written / "Dockerfile").read_text()
    lines = re.sub(r"\\\n\s*", " ", text).splitlines()
    base = next(line for line in lines if line.startswith("ARG BASE_IMAGE="))
    assert base.startswith("ARG BASE_IMAGE=quay.io/jupyter/")
    assert "FROM ${BASE_IMAGE}" in lines
    (install,) = [line for line in lines if line.startswith("RUN pip install")]
    assert "/tmp/wheels/imatter-*.whl" in install
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    nbgrader = next(d for d in project["project"]["dependencies"] if d.startswith("nbgrader"))
    assert f'"{nbgrader}"' in install
    copies = [line.split()[-2:] for line in lines if line.startswith("COPY")]
    sources = {src.rstrip("/") for src, _dest in copies}
    assert sources - {"imatter-*.whl", "programme.yml"} <= {p.name for p in written.iterdir()}
    assert ["nbgrader_config.py", "/etc/jupyter/nbgrader_config.py"] in copies
    assert ["grader-jupyter/", "/opt/imatter/grader-jupyter/"] in copies
    assert lines[-1] == "ENV IMATTER_PROGRAMME=/opt/imatter/programme.yml"
    assert any(line.startswith("USER ${NB_UID}") for line in lines)  # not left as root


# ---------------------------------------------------------------- learners' and marker's tools
def _disabled_by_setup(written: Path) -> tuple[list[str], list[str]]:
    script = (written / "setup-extensions.sh").read_text()
    plugins = re.search(r"for plugin in ([^;]+);", script).group(1).split()
    extensions = re.search(r"for extension in ([^;]+);", script).group(1).split()
    return [f"@jupyter/nbgrader:{p}" for p in plugins], [
        f"nbgrader.server_extensions.{e}" for e in extensions
    ]


def _learner_level(tmp_path: Path, written: Path) -> Path:
    """Jupyter settings equal to what setup-extensions.sh writes for everyone."""
    plugins, extensions = _disabled_by_setup(written)
    base = tmp_path / "everyone"
    (base / "labconfig").mkdir(parents=True)
    (base / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": dict.fromkeys(plugins, True)})
    )
    (base / "jupyter_server_config.d").mkdir()
    (base / "jupyter_server_config.d" / "off.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": dict.fromkeys(extensions, False)}})
    )
    return base


def _effective(monkeypatch, tmp_path, *config_path: Path) -> tuple[dict, dict]:
    from jupyter_server.extension.config import ExtensionConfigManager
    from jupyter_server.serverapp import ServerApp
    from jupyterlab_server.config import get_static_page_config

    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "home-config"))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", ":".join(str(p) for p in config_path))
    lab = get_static_page_config(level="all").get("disabledExtensions", {})
    paths = ServerApp().config_file_paths
    server = ExtensionConfigManager(read_config_path=paths).get_jpserver_extensions()
    return lab, server


def test_learners_lose_the_marking_tools_and_the_marking_account_gets_them_back(
    written, monkeypatch, tmp_path
):
    plugins, extensions = _disabled_by_setup(written)
    assert "@jupyter/nbgrader:formgrader" in plugins
    assert "@jupyter/nbgrader:assignment-list" not in plugins
    everyone = _learner_level(tmp_path, written)
    lab, server = _effective(monkeypatch, tmp_path, everyone)
    assert all(lab[p] is True for p in plugins)
    assert server["nbgrader.server_extensions.formgrader"] is False
    lab, server = _effective(monkeypatch, tmp_path, written / "grader-jupyter", everyone)
    assert lab["@jupyter/nbgrader:formgrader"] is False
    assert lab["@jupyter/nbgrader:create-assignment"] is False
    assert lab["@jupyter/nbgrader:course-list"] is True
    assert server["nbgrader.server_extensions.formgrader"] is True

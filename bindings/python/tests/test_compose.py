"""pycontain.compose on a project of busybox services without networks."""

import logging
import os
import signal
import time

import pytest

import pycontain

COMPOSE = """
services:
  web:
    image: py-compose:1
    command: ["sleep", "300"]
    stop_grace_period: 1s
    network_mode: none
  job:
    image: py-compose:1
    command: ["echo", "${GREETING:?set GREETING}"]
    network_mode: none
  extra:
    image: py-compose:1
    profiles: ["extra"]
    network_mode: none
"""


@pytest.fixture
def project_dir(tmp_path):
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    return tmp_path


@pytest.fixture
def compose_image(tarball):
    """The busybox image py-compose:1 in the default store, which
    PYCONTAIN_ROOT (set by run_pytest.sh) makes private."""
    image = pycontain.images.import_(tarball, "py-compose:1")
    yield image
    pycontain.images.remove(image.id)


def test_config_interpolates_and_warns(project_dir):
    project = pycontain.compose.Project(project_dir, env={"GREETING": "hi-there"},
                                        name="pyproj")
    assert project.name == "pyproj"
    assert project.services == ("job", "web")
    assert project.disabled_services == ("extra",)
    assert project.files == (str(project_dir / "compose.yaml"),)
    config = project.config()
    assert "hi-there" in config
    assert "${GREETING" not in config
    assert any("network_mode" in warning for warning in project.warnings)

    with_extra = pycontain.compose.Project(project_dir / "compose.yaml", env={"GREETING": "x"},
                                           profiles=["extra"], name="pyproj")
    assert with_extra.services == ("extra", "job", "web")


def test_missing_variable_is_spec_error(project_dir):
    with pytest.raises(pycontain.SpecError) as raised:
        pycontain.compose.Project(project_dir, inherit_env=False, name="pyproj")
    assert "GREETING" in str(raised.value)


def test_missing_file(tmp_path):
    with pytest.raises(pycontain.Error) as raised:
        pycontain.compose.Project(files=[tmp_path / "missing.yaml"])
    assert raised.value.code == "NOT_FOUND"


def test_up_ps_down(project_dir, compose_image, caplog):
    project = pycontain.compose.Project(project_dir, env={"GREETING": "hi"}, name="pyproj")
    try:
        with caplog.at_level(logging.INFO, logger="pycontain"):
            project.up()
        started = [record.getMessage() for record in caplog.records
                   if record.name == "pycontain" and "Started" in record.getMessage()]
        assert len(started) == 2

        running = project.ps()
        web = [container for container in running if container.service == "web"]
        assert [container.name for container in web] == ["pyproj-web-1"]
        assert web[0].status.startswith("running")
        assert web[0].image == "py-compose:1"
        assert web[0].state["Pid"] > 0
        everything = project.ps(all=True)
        assert {container.service for container in everything} == {"job", "web"}
        assert [container.service for container in project.ps(["web"])] == ["web"]
    finally:
        project.down(volumes=True)
    assert project.ps(all=True) == []


def test_gc_records_container_of_dead_monitor(project_dir, compose_image):
    project = pycontain.compose.Project(project_dir, env={"GREETING": "hi"}, name="pygc")
    try:
        project.up(["web"])
        [web] = project.ps(["web"])
        os.kill(web.state["MonitorPid"], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while _alive(web.state["MonitorPid"]) and time.monotonic() < deadline:
            time.sleep(0.02)

        report = pycontain.gc(orphan_min_age=-1)
        assert [entry.split()[0] for entry in report.exited] == ["pygc-web-1"]
        [after] = project.ps(["web"], all=True)
        assert after.status == "exited (137)"
    finally:
        project.down()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

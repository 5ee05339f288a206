"""pycontain.volumes and the volumes= argument on real containers."""

import os

import pytest

import pycontain


def test_create_inspect_list_remove(tmp_path):
    volume = pycontain.volumes.create("py-data", labels={"app": "web"}, root=tmp_path)
    assert volume.name == "py-data"
    assert volume.driver == "local"
    assert volume.labels == {"app": "web"}
    assert volume.anonymous is False
    assert os.path.isdir(volume.mountpoint)
    assert volume.mountpoint.startswith(str(tmp_path))
    assert pycontain.volumes.inspect("py-data", root=tmp_path) == volume
    assert pycontain.volumes.list(root=tmp_path) == [volume]
    with pytest.raises(pycontain.Error) as raised:
        pycontain.volumes.create("py-data", root=tmp_path)
    assert raised.value.code == "ALREADY_EXISTS"

    pycontain.volumes.remove("py-data", root=tmp_path)
    assert not os.path.exists(volume.mountpoint)
    assert pycontain.volumes.list(root=tmp_path) == []
    with pytest.raises(pycontain.NotFoundError):
        pycontain.volumes.inspect("py-data", root=tmp_path)
    with pytest.raises(pycontain.SpecError):
        pycontain.volumes.create("-bad", root=tmp_path)


def test_prune_removes_anonymous_first(tmp_path):
    anonymous = pycontain.volumes.create(root=tmp_path)
    assert anonymous.anonymous is True
    assert len(anonymous.name) == 64
    pycontain.volumes.create("py-named", root=tmp_path)
    assert pycontain.volumes.prune(root=tmp_path) == [anonymous.name]
    assert pycontain.volumes.prune(all=True, root=tmp_path) == ["py-named"]
    assert pycontain.volumes.list(root=tmp_path) == []


def test_named_volume_outlives_containers(busybox):
    # Containers use the default store: PYCONTAIN_ROOT, set by run_pytest.sh.
    try:
        pycontain.run(["sh", "-c", "echo kept > /data/file"], rootfs=busybox,
                      volumes=["py-shared:/data"], check=True)
        read = pycontain.run(["cat", "/data/file"], rootfs=busybox,
                             volumes={"py-shared": {"bind": "/data", "mode": "ro"}},
                             capture_output=True, text=True, check=True)
        assert read.stdout == "kept\n"
        write_read_only = pycontain.run(["sh", "-c", "echo x > /data/other"], rootfs=busybox,
                                        volumes=["py-shared:/data:ro"])
        assert write_read_only.returncode != 0
    finally:
        pycontain.volumes.remove("py-shared")


def test_volume_in_use_is_kept(busybox):
    with pycontain.Container(["sleep", "30"], rootfs=busybox,
                             volumes=["py-used:/data"]) as box:
        with pytest.raises(pycontain.StateError) as raised:
            pycontain.volumes.remove("py-used")
        assert box.id in str(raised.value)
    pycontain.volumes.remove("py-used")


def test_anonymous_volume_argument(busybox):
    before = {volume.name for volume in pycontain.volumes.list()}
    result = pycontain.run(["sh", "-c", "echo x > /data/file && cat /data/file"],
                           rootfs=busybox, volumes=["/data"], capture_output=True, text=True)
    assert result.stdout == "x\n"
    created = [volume for volume in pycontain.volumes.list() if volume.name not in before]
    assert [volume.anonymous for volume in created] == [True]
    assert pycontain.volumes.prune() == [created[0].name]

"""pycontain.images on real archives, each test with a private store."""

import datetime
import os
import pydoc
import threading

import pytest

import pycontain


def test_import_list_remove(tarball, tmp_path):
    root = tmp_path / "store"
    assert pycontain.images.list(root=root) == []
    image = pycontain.images.import_(tarball, "py-busybox:1", cmd=["/bin/sh", "-c", "echo hi"],
                                     env={"FROM_IMAGE": "yes"}, comment="test", root=root)
    assert image.id.startswith("sha256:")
    assert len(image.id) == len("sha256:") + 64
    assert image.short_id == image.id[7:19]
    assert image.names == ("py-busybox:1",)
    age = datetime.datetime.now(datetime.timezone.utc) - image.loaded
    assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=5)
    assert image.manifest.startswith("sha256:")
    assert image.config["config"]["Cmd"] == ["/bin/sh", "-c", "echo hi"]
    assert "FROM_IMAGE=yes" in image.config["config"]["Env"]

    assert pycontain.images.list(root=root) == [image]
    pycontain.images.remove("py-busybox:1", root=root)
    assert pycontain.images.list(root=root) == []
    with pytest.raises(pycontain.NotFoundError) as raised:
        pycontain.images.remove("py-busybox:1", root=root)
    assert isinstance(raised.value, LookupError)
    assert raised.value.code == "NOT_FOUND"


def test_import_image_is_import_(tarball, tmp_path):
    assert pycontain.images.import_image is pycontain.images.import_
    with open(tarball, "rb") as file:
        image = pycontain.images.import_image(file, ["py-a:1", "py-b:2"], root=tmp_path)
    assert image.names == ("py-a:1", "py-b:2")


def test_run_imported_image(tarball):
    # Containers read the default store: PYCONTAIN_ROOT, which run_pytest.sh
    # points at a private directory.
    assert os.environ.get("PYCONTAIN_ROOT")
    image = pycontain.images.import_(tarball, "py-run:1",
                                     cmd=["/bin/sh", "-c", "echo default command"])
    try:
        default = pycontain.run([], image="py-run:1", capture_output=True, text=True)
        given = pycontain.run(["echo", "given"], image=image.id, capture_output=True,
                              text=True)
    finally:
        pycontain.images.remove(image.id)
    assert default.stdout == "default command\n"
    assert given.stdout == "given\n"


def test_save_and_load_round_trip(tarball, tmp_path):
    source = tmp_path / "source"
    image = pycontain.images.import_(tarball, "py-save:1", root=source)
    archive = tmp_path / "saved.tar"
    layout = tmp_path / "saved-oci"
    by_file = tmp_path / "saved-by-file.tar"
    pycontain.images.save("py-save:1", archive, root=source)
    pycontain.images.save(["py-save:1"], layout, format="oci", root=source)
    with open(by_file, "wb") as file:
        pycontain.images.save(image.id, file, root=source)

    for name, archive_source in [("archive", archive), ("oci", layout)]:
        loaded = pycontain.images.load(archive_source, root=tmp_path / name)
        assert [entry.id for entry in loaded] == [image.id], name
        assert loaded[0].names == ("py-save:1",), name
        assert pycontain.images.list(root=tmp_path / name) == loaded, name
    with open(by_file, "rb") as file:
        loaded = pycontain.images.load(file, root=tmp_path / "from-file")
    assert [entry.id for entry in loaded] == [image.id]


def test_load_from_pipe(tarball, tmp_path):
    source = tmp_path / "source"
    image = pycontain.images.import_(tarball, "py-pipe:1", root=source)
    read_end, write_end = os.pipe()
    errors = []

    def write_archive():
        try:
            pycontain.images.save("py-pipe:1", write_end, root=source)
        except pycontain.Error as error:
            errors.append(error)
        finally:
            os.close(write_end)

    # Saving and loading at once works only with the GIL released in both.
    writer = threading.Thread(target=write_archive)
    writer.start()
    try:
        loaded = pycontain.images.load(read_end, root=tmp_path / "target")
    finally:
        writer.join()
        os.close(read_end)
    assert errors == []
    assert [entry.id for entry in loaded] == [image.id]


def test_argument_errors(tarball, tmp_path):
    with pytest.raises(pycontain.KernelError) as raised:
        pycontain.images.load(tmp_path / "missing.tar", root=tmp_path)
    assert raised.value.errno == 2  # ENOENT
    with pytest.raises(ValueError):
        pycontain.images.save("x:1", tmp_path / "x.tar", format="zip", root=tmp_path)
    with pytest.raises(pycontain.NotFoundError):
        pycontain.images.save("x:1", tmp_path / "x.tar", root=tmp_path)
    with pytest.raises(pycontain.SpecError):
        pycontain.images.load(tmp_path, root=tmp_path / "store", platform="a/b/c/d")
    with pytest.raises(TypeError):
        pycontain.images.import_(tarball, cmd="/bin/sh", root=tmp_path)


def test_help_documents_arguments():
    text = pydoc.render_doc(pycontain.images.load, renderer=pydoc.plaintext)
    for word in ("source", "root", "platform", "repository", "docker-archive"):
        assert word in text
    for function in (pycontain.images.save, pycontain.images.import_,
                     pycontain.images.list, pycontain.images.remove):
        assert function.__doc__

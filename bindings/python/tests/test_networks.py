"""pycontain.networks in a network namespace that each test creates to play
the host, so the machine's own interfaces and rules are never touched."""

import os
import subprocess
import time

import pytest

import pycontain


@pytest.fixture
def host_netns():
    """The path of a new network namespace, alive during the test."""
    process = subprocess.Popen(["unshare", "--net", "sleep", "600"])
    path = f"/proc/{process.pid}/ns/net"
    own = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 5
    while os.readlink(path) == own and time.monotonic() < deadline:
        time.sleep(0.01)
    assert os.readlink(path) != own
    yield path
    process.kill()
    process.wait()


def _link_exists(host_netns, link):
    return subprocess.run(["nsenter", f"--net={host_netns}", "ip", "link", "show", link],
                          capture_output=True).returncode == 0


def test_create_inspect_list_remove(host_netns, tmp_path):
    where = {"host_netns": host_netns, "state_root": tmp_path}
    network = pycontain.networks.create("pynet", subnet="10.213.9.0/28", mtu=1400, **where)
    assert network.name == "pynet"
    assert network.driver == "bridge"
    assert network.subnet == "10.213.9.0/28"
    assert network.gateway == "10.213.9.1"
    assert network.mtu == 1400
    assert network.bridge.startswith("pcbr-")
    assert network.internal is False
    assert network.endpoints == ()
    assert _link_exists(host_netns, network.bridge)

    assert pycontain.networks.inspect("pynet", **where) == network
    assert pycontain.networks.list(**where) == [network]
    with pytest.raises(pycontain.Error) as raised:
        pycontain.networks.create("pynet", **where)
    assert raised.value.code == "ALREADY_EXISTS"

    pycontain.networks.remove("pynet", **where)
    assert not _link_exists(host_netns, network.bridge)
    assert pycontain.networks.list(**where) == []
    with pytest.raises(pycontain.NotFoundError):
        pycontain.networks.inspect("pynet", **where)


def test_container_on_network(busybox, host_netns):
    # Records go to the default state root (PYCONTAIN_STATE_DIR, private to
    # this test run), where containers look networks up.
    network = pycontain.networks.create("pyweb", host_netns=host_netns, internal=True)
    try:
        spec = {"network": {"hostNamespacePath": host_netns}}
        with pycontain.Container(["sh", "-c", "ip -4 addr show eth0; sleep 30"],
                                 rootfs=busybox, network="pyweb", spec=spec,
                                 stdout=pycontain.PIPE, text=True) as box:
            attached = pycontain.networks.inspect("pyweb", host_netns=host_netns)
            assert [endpoint["container_id"] for endpoint in attached.endpoints] == [box.id]
            address = attached.endpoints[0]["ip"]
            with pytest.raises(pycontain.StateError):
                pycontain.networks.remove("pyweb", host_netns=host_netns)
            deadline = time.monotonic() + 5
            while "inet " not in (box.logs()[0] or "") and time.monotonic() < deadline:
                time.sleep(0.01)
            output = box.logs()[0]
        assert f"inet {address.split('/')[0]}/" in output
    finally:
        pycontain.networks.remove("pyweb", host_netns=host_netns)
    assert network.internal is True


def test_argument_errors(host_netns, tmp_path):
    where = {"host_netns": host_netns, "state_root": tmp_path}
    with pytest.raises(ValueError):
        pycontain.networks.create("pybad", driver="overlay", **where)
    with pytest.raises(pycontain.SpecError):
        pycontain.networks.create("bad name!", **where)
    with pytest.raises(pycontain.NotFoundError):
        pycontain.networks.remove("pynone", **where)


def test_published_port(busybox, host_netns):
    # The test's host namespace needs its loopback up to reach the port.
    subprocess.run(["nsenter", f"--net={host_netns}", "ip", "link", "set", "lo", "up"],
                   check=True)
    pycontain.networks.create("pyports", host_netns=host_netns)
    client = [
        "nsenter", f"--net={host_netns}", os.path.join(busybox, "bin", "busybox"), "nc",
        "-w", "2", "127.0.0.1", "18080",
    ]
    try:
        spec = {"network": {"hostNamespacePath": host_netns}}
        with pycontain.Container(["nc", "-ll", "-p", "80", "-e", "echo", "published"],
                                 rootfs=busybox, network="pyports",
                                 ports=["127.0.0.1:18080:80"], spec=spec):
            endpoint = pycontain.networks.inspect("pyports", host_netns=host_netns).endpoints[0]
            assert endpoint["ports"]
            output = ""
            deadline = time.monotonic() + 5
            while "published" not in output and time.monotonic() < deadline:
                output = subprocess.run(client, capture_output=True, text=True).stdout
                time.sleep(0.05)
        assert output == "published\n"
    finally:
        pycontain.networks.remove("pyports", host_netns=host_netns)


def test_ports_need_a_named_network(busybox):
    with pytest.raises(pycontain.SpecError) as raised:
        pycontain.run(["true"], rootfs=busybox, ports=["8080:80"])
    assert raised.value.field == "network"

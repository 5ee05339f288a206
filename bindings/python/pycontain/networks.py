"""pycontain.networks: named container networks, like `docker network`.

    import pycontain

    pycontain.networks.create("web", subnet="10.1.2.0/28")
    pycontain.run(["ping", "-c1", "db"], rootfs=root, network="web")
    print(pycontain.networks.inspect("web").endpoints)
    pycontain.networks.remove("web")

A bridge network is a Linux bridge with a /28 subnet (by default) taken
from a pool, NAT for outbound traffic and name resolution between its
containers. Macvlan and ipvlan networks put each container directly on a
parent interface's L2 segment, without NAT.

Networks are recorded under the state root: the state_root argument, else
$PYCONTAIN_STATE_DIR, else /run/pycontain for root (/dev/shm/pycontain when
/run is not a tmpfs). Containers look
networks up in the default state root. host_netns is a network namespace
file (such as /proc/PID/ns/net) that plays the host, for networks that must
not touch the caller's namespace; containers on such a network set
spec={"network": {"hostNamespacePath": ...}}.

Needs CAP_NET_ADMIN and, for bridge networks, the nft command. Every
function is thread-safe and releases the GIL while it works.
"""

import dataclasses
import json
from typing import Any, Dict, Optional, Tuple

from . import _pycontain
from ._records import optional_path, snake_keys

__all__ = ["Network", "create", "inspect", "list", "remove"]

_DRIVERS = {
    "bridge": _pycontain.NETWORK_BRIDGE,
    "macvlan": _pycontain.NETWORK_MACVLAN,
    "ipvlan": _pycontain.NETWORK_IPVLAN,
}


@dataclasses.dataclass(frozen=True)
class Network:
    """A network's record.

    Attributes:
        name: its name.
        id: 10 random hex digits; a bridge is named "pcbr-<id>".
        driver: "bridge", "macvlan" or "ipvlan".
        subnet, gateway: IPv4 subnet ("10.213.0.0/28") and gateway address.
        subnet6, gateway6: the IPv6 ones, or "" without IPv6.
        mtu: MTU of the bridge and links in bytes; 0 for the kernel's 1500.
        bridge: the bridge's interface name (bridge networks), else "".
        parent: the parent interface (macvlan and ipvlan), else "".
        internal: True when containers get no outbound NAT and no
            published ports.
        created: RFC 3339 time of creation.
        endpoints: the attached containers, one dict each with snake_case
            keys such as container_id, name, ip and ip6.
    """

    name: str
    id: str
    driver: str
    subnet: str
    gateway: str
    subnet6: str
    gateway6: str
    mtu: int
    bridge: str
    parent: str
    internal: bool
    created: str
    endpoints: Tuple[Dict[str, Any], ...] = dataclasses.field(compare=False)


def _network(record):
    return Network(name=record.get("name", ""),
                   id=record.get("id", ""),
                   driver=record.get("driver", "BRIDGE").lower(),
                   subnet=record.get("subnet", ""),
                   gateway=record.get("gateway", ""),
                   subnet6=record.get("subnet6", ""),
                   gateway6=record.get("gateway6", ""),
                   mtu=int(record.get("mtu", 0)),
                   bridge=record.get("bridge", ""),
                   parent=record.get("parent", ""),
                   internal=bool(record.get("internal", False)),
                   created=record.get("created", ""),
                   endpoints=tuple(snake_keys(record.get("endpoints", []))))


def create(name, *, driver="bridge", subnet=None, gateway=None, ipv6=False, subnet6=None,
           gateway6=None, mtu=None, parent=None, internal=False, pool=None,
           host_netns=None, state_root=None):
    """Create a network and return its Network record.

    name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters.
    driver: "bridge" (default), "macvlan" or "ipvlan".
    subnet, gateway: IPv4 subnet in CIDR notation and gateway address.
        Default: the next free /28 of the pool and its first address.
    ipv6: add an IPv6 subnet: subnet6, or a random fd00::/8 /64.
    subnet6, gateway6: the IPv6 subnet and gateway.
    mtu: MTU of the bridge and links in bytes; default 1500.
    parent: the parent interface of a macvlan or ipvlan network.
    internal: no outbound NAT and no published ports.
    pool: the IPv4 pool to take the subnet from; default 10.213.0.0/24.
    host_netns, state_root: see help(pycontain.networks).

    Raises SpecError for a bad name or option, pycontain.Error with code
    "ALREADY_EXISTS" for a taken name or overlapping subnet, and
    KernelError when a system call or the nft command fails.
    """
    if driver not in _DRIVERS:
        raise ValueError(f"driver: {driver!r} is not one of {sorted(_DRIVERS)}")
    if mtu is not None and not 0 <= mtu < 2**32:
        raise ValueError(f"mtu: {mtu} is not a number of bytes")
    record = _pycontain.network_create(name, _DRIVERS[driver], subnet, gateway, bool(ipv6),
                                       subnet6, gateway6, mtu or 0, parent, bool(internal),
                                       pool, optional_path(host_netns),
                                       optional_path(state_root))
    return _network(json.loads(record))


def inspect(name, *, host_netns=None, state_root=None):
    """Return the Network record of `name`; NotFoundError when there is
    none. host_netns, state_root: see help(pycontain.networks)."""
    record = _pycontain.network_inspect(name, optional_path(host_netns),
                                        optional_path(state_root))
    return _network(json.loads(record))


def list(*, host_netns=None, state_root=None):  # pylint: disable=redefined-builtin
    """Return every network as a list of Network, ordered by name.
    host_netns, state_root: see help(pycontain.networks)."""
    records = _pycontain.network_list(optional_path(host_netns), optional_path(state_root))
    return [_network(record) for record in json.loads(records)]


def remove(name, *, host_netns=None, state_root=None):
    """Remove a network: its bridge, rules and record. Raises NotFoundError
    for an unknown network and StateError while containers are attached.
    host_netns, state_root: see help(pycontain.networks)."""
    _pycontain.network_remove(name, optional_path(host_netns), optional_path(state_root))

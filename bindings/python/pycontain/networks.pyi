import os
from typing import Any, Dict, List, Optional, Tuple, Union

_Path = Union[str, os.PathLike]

class Network:
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
    endpoints: Tuple[Dict[str, Any], ...]

def create(
    name: str,
    *,
    driver: str = ...,
    subnet: Optional[str] = ...,
    gateway: Optional[str] = ...,
    ipv6: bool = ...,
    subnet6: Optional[str] = ...,
    gateway6: Optional[str] = ...,
    mtu: Optional[int] = ...,
    parent: Optional[str] = ...,
    internal: bool = ...,
    pool: Optional[str] = ...,
    host_netns: Optional[_Path] = ...,
    state_root: Optional[_Path] = ...,
) -> Network: ...
def inspect(
    name: str, *, host_netns: Optional[_Path] = ..., state_root: Optional[_Path] = ...
) -> Network: ...
def list(
    *, host_netns: Optional[_Path] = ..., state_root: Optional[_Path] = ...
) -> List[Network]: ...
def remove(
    name: str, *, host_netns: Optional[_Path] = ..., state_root: Optional[_Path] = ...
) -> None: ...

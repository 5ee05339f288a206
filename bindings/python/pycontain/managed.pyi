from typing import Any, Dict, List, Mapping, Optional

from . import _Args

class ManagedContainer:
    id: str
    name: str
    image: str
    status: str
    labels: Dict[str, str]
    state: Dict[str, Any]
    @property
    def short_id(self) -> str: ...

def create(
    args: _Args,
    *,
    name: Optional[str] = ...,
    labels: Optional[Mapping[str, str]] = ...,
    auto_remove: bool = ...,
    **options: Any,
) -> Dict[str, Any]: ...
def run(
    args: _Args,
    *,
    name: Optional[str] = ...,
    labels: Optional[Mapping[str, str]] = ...,
    auto_remove: bool = ...,
    **options: Any,
) -> Dict[str, Any]: ...
def start(name_or_id: str) -> None: ...
def stop(name_or_id: str, timeout: float = ...) -> None: ...
def kill(name_or_id: str, signal: int = ...) -> None: ...
def wait(name_or_id: str) -> int: ...
def list(
    *, all: bool = ..., labels: Optional[Mapping[str, Optional[str]]] = ...
) -> List[ManagedContainer]: ...
def inspect(name_or_id: str) -> Dict[str, Any]: ...
def remove(name_or_id: str, *, force: bool = ..., volumes: bool = ...) -> None: ...
def logs(name_or_id: str, *, tail: Optional[int] = ..., stream: Optional[str] = ...) -> str: ...

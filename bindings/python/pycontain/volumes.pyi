import os
from typing import Dict, List, Mapping, Optional, Union

_Path = Union[str, os.PathLike]

class Volume:
    name: str
    driver: str
    mountpoint: str
    created_at: str
    labels: Dict[str, str]
    @property
    def anonymous(self) -> bool: ...

def create(
    name: Optional[str] = ...,
    *,
    labels: Optional[Mapping[str, str]] = ...,
    root: Optional[_Path] = ...,
) -> Volume: ...
def inspect(name: str, *, root: Optional[_Path] = ...) -> Volume: ...
def list(*, root: Optional[_Path] = ...) -> List[Volume]: ...
def remove(name: str, *, force: bool = ..., root: Optional[_Path] = ...) -> None: ...
def prune(*, all: bool = ..., root: Optional[_Path] = ...) -> List[str]: ...

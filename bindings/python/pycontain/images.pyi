import datetime
import os
from typing import IO, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

_Path = Union[str, os.PathLike]
_Source = Union[_Path, int, IO[bytes]]

class Image:
    id: str
    names: Tuple[str, ...]
    loaded: datetime.datetime
    manifest: str
    config: Dict[str, Any]
    @property
    def short_id(self) -> str: ...

def load(
    source: _Source,
    *,
    root: Optional[_Path] = ...,
    platform: Optional[str] = ...,
    repository: Optional[str] = ...,
) -> List[Image]: ...
def save(
    references: Union[str, Sequence[str]],
    destination: _Source,
    *,
    format: str = ...,
    root: Optional[_Path] = ...,
) -> None: ...
def import_(
    source: _Source,
    names: Union[str, Sequence[str]] = ...,
    *,
    cmd: Optional[Sequence[str]] = ...,
    env: Union[None, Mapping[str, str], Sequence[str]] = ...,
    comment: Optional[str] = ...,
    root: Optional[_Path] = ...,
) -> Image: ...
import_image = import_
def list(*, root: Optional[_Path] = ...) -> List[Image]: ...
def remove(reference: str, *, root: Optional[_Path] = ...) -> None: ...

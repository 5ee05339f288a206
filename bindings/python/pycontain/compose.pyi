import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

_Path = Union[str, os.PathLike]

class ComposeContainer:
    id: str
    name: str
    service: str
    image: str
    status: str
    state: Dict[str, Any]

class Project:
    name: str
    directory: str
    files: Tuple[str, ...]
    services: Tuple[str, ...]
    disabled_services: Tuple[str, ...]
    warnings: Tuple[str, ...]
    def __init__(
        self,
        path: Optional[_Path] = ...,
        *,
        files: Optional[Sequence[_Path]] = ...,
        env: Optional[Mapping[str, str]] = ...,
        profiles: Optional[Sequence[str]] = ...,
        name: Optional[str] = ...,
        env_files: Optional[Sequence[_Path]] = ...,
        project_directory: Optional[_Path] = ...,
        inherit_env: bool = ...,
    ) -> None: ...
    def config(self) -> str: ...
    def up(self, services: Optional[Sequence[str]] = ...) -> None: ...
    def down(self, *, volumes: bool = ..., remove_orphans: bool = ...) -> None: ...
    def ps(
        self, services: Optional[Sequence[str]] = ..., *, all: bool = ...
    ) -> List[ComposeContainer]: ...

import os
from typing import IO, Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from . import compose as compose
from . import images as images
from . import managed as managed
from . import networks as networks
from . import volumes as volumes

__version__: str

PIPE: int
STDOUT: int
DEVNULL: int

_Args = Union[str, bytes, os.PathLike, Sequence[Union[str, bytes, os.PathLike]]]
_Stream = Union[None, int, IO[Any]]
_ByteSize = Union[int, str]
_Env = Union[Mapping[str, str], Sequence[str]]
_Volumes = Union[Sequence[str], Mapping[str, Union[str, Mapping[str, str]]]]

class Error(Exception):
    code: str
    step: str
    field: str

class SpecError(Error, ValueError): ...

class UnsupportedError(Error, NotImplementedError):
    argument: str

class KernelError(Error, OSError): ...
class NotFoundError(Error, LookupError): ...
class StateError(Error, RuntimeError): ...
class TimeoutExpired(Error, TimeoutError): ...

class ContainerFailed(Error):
    result: RunResult
    @property
    def returncode(self) -> int: ...
    @property
    def stdout(self) -> Any: ...
    @property
    def stderr(self) -> Any: ...

class RunResult:
    args: _Args
    returncode: int
    stdout: Any
    stderr: Any
    signal: int
    timed_out: bool
    oom_killed: bool
    wall_time: float
    cpu_time: float
    memory_peak: Optional[int]
    @property
    def details(self) -> Dict[str, Any]: ...
    @property
    def id(self) -> str: ...
    @property
    def receipt(self) -> Dict[str, Any]: ...
    @property
    def accounting(self) -> Dict[str, Any]: ...
    def check_returncode(self) -> None: ...

def run(
    args: _Args,
    *,
    input: Union[None, str, bytes] = ...,
    capture_output: bool = ...,
    stdin: _Stream = ...,
    stdout: _Stream = ...,
    stderr: _Stream = ...,
    text: bool = ...,
    encoding: Optional[str] = ...,
    errors: Optional[str] = ...,
    check: bool = ...,
    image: Optional[str] = ...,
    rootfs: Union[None, str, os.PathLike] = ...,
    memory: Optional[_ByteSize] = ...,
    memory_swap: Optional[_ByteSize] = ...,
    cpus: Optional[float] = ...,
    pids_limit: Optional[int] = ...,
    timeout: Optional[float] = ...,
    network: str = ...,
    env: Optional[_Env] = ...,
    cwd: Union[None, str, os.PathLike] = ...,
    user: Union[None, int, str] = ...,
    read_only: bool = ...,
    volumes: Optional[_Volumes] = ...,
    ports: Optional[Sequence[str]] = ...,
    seccomp: Optional[str] = ...,
    hostname: Optional[str] = ...,
    spec: Optional[Mapping[str, Any]] = ...,
) -> RunResult: ...

class ExecProcess:
    args: _Args
    @property
    def pid(self) -> int: ...
    def wait(self, timeout: Optional[float] = ..., *, kill_on_timeout: bool = ...) -> RunResult: ...
    def kill(self, signal: int = ...) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> ExecProcess: ...
    def __exit__(self, *exc_info: Any) -> None: ...

class Container:
    args: _Args
    result: Optional[RunResult]
    def __init__(
        self,
        args: _Args,
        *,
        stdin: _Stream = ...,
        stdout: _Stream = ...,
        stderr: _Stream = ...,
        input: Union[None, str, bytes] = ...,
        text: bool = ...,
        encoding: Optional[str] = ...,
        errors: Optional[str] = ...,
        image: Optional[str] = ...,
        rootfs: Union[None, str, os.PathLike] = ...,
        memory: Optional[_ByteSize] = ...,
        memory_swap: Optional[_ByteSize] = ...,
        cpus: Optional[float] = ...,
        pids_limit: Optional[int] = ...,
        timeout: Optional[float] = ...,
        network: str = ...,
        env: Optional[_Env] = ...,
        cwd: Union[None, str, os.PathLike] = ...,
        user: Union[None, int, str] = ...,
        read_only: bool = ...,
        volumes: Optional[_Volumes] = ...,
        ports: Optional[Sequence[str]] = ...,
        seccomp: Optional[str] = ...,
        hostname: Optional[str] = ...,
        spec: Optional[Mapping[str, Any]] = ...,
    ) -> None: ...
    @property
    def id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def pid(self) -> int: ...
    def start(self) -> None: ...
    def wait(self, timeout: Optional[float] = ..., *, kill_on_timeout: bool = ...) -> RunResult: ...
    def kill(self, signal: int = ...) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self, timeout: float = ...) -> RunResult: ...
    def exec_start(
        self,
        args: _Args,
        *,
        env: Optional[_Env] = ...,
        cwd: Union[None, str, os.PathLike] = ...,
        user: Union[None, int, str] = ...,
        stdin: _Stream = ...,
        stdout: _Stream = ...,
        stderr: _Stream = ...,
        input: Union[None, str, bytes] = ...,
        capture_output: bool = ...,
        text: bool = ...,
        encoding: Optional[str] = ...,
        errors: Optional[str] = ...,
    ) -> ExecProcess: ...
    def exec(self, args: _Args, *, timeout: Optional[float] = ..., check: bool = ...,
             **kwargs: Any) -> RunResult: ...
    def logs(self) -> Tuple[Any, Any]: ...
    def remove(self) -> None: ...
    def __enter__(self) -> Container: ...
    def __exit__(self, *exc_info: Any) -> None: ...

class GcReport:
    containers: Tuple[str, ...]
    cgroups: Tuple[str, ...]
    mounts: Tuple[str, ...]
    endpoints: Tuple[str, ...]
    links: Tuple[str, ...]
    kept: Tuple[str, ...]
    errors: Tuple[str, ...]
    exited: Tuple[str, ...]

def gc(
    *,
    state_root: Union[None, str, os.PathLike] = ...,
    orphan_min_age: Optional[float] = ...,
) -> GcReport: ...

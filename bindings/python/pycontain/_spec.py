"""Building a ContainerSpec (as a dict for JSON) from keyword arguments.

The spec's JSON is the only thing that crosses into the library, so an
argument that a newer layer adds needs only a line here. Arguments whose
layer has not landed raise UnsupportedError (a NotImplementedError) naming
the argument instead of being ignored.
"""

import os
import re

from ._errors import SpecError, UnsupportedError

# Keyword arguments that map to one spec field, in snake_case. When the
# library rejects such a field as unknown or unimplemented, the error names
# the argument (see argument_for_field).
FIELD_OF_ARGUMENT = {
    "memory": "resources.memory_bytes",
    "memory_swap": "resources.memory_swap_bytes",
    "cpus": "resources.cpus",
    "pids_limit": "resources.pids_limit",
    "rootfs": "root.path",
    "read_only": "root.readonly",
    "hostname": "hostname",
    "timeout": "timeout",
    "env": "process.env",
    "cwd": "process.cwd",
    "user": "process.user",
    "volumes": "mounts",
    "network": "network.mode",
    "image": "image",
    "ports": "network.ports",
    "seccomp": "security.seccomp",
}

# Arguments whose layer does not exist in this build.
_PENDING_ARGUMENTS = {}

_BYTE_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNIT_SHIFT = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50}


def _number(argument, value, kind):
    """Return `value` converted by `kind` (int or float), or raise a
    SpecError that names `argument`."""
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise SpecError(f"{argument}: expected a number, got {value!r}",
                        field=argument) from None


def parse_byte_size(argument, value):
    """Return `value` in bytes: an int, or a string with Docker's binary
    units ("16m", "1.5g", "512MiB"). -1 means unlimited where allowed."""
    if isinstance(value, bool):
        raise SpecError(f"{argument}: expected a byte size, got {value!r}", field=argument)
    if isinstance(value, int):
        return value
    match = _BYTE_SIZE.match(str(value))
    if match is None:
        raise SpecError(
            f"{argument}: invalid byte size {value!r}; use bytes or a unit "
            "such as 64m or 1g",
            field=argument,
        )
    return int(float(match.group(1)) * (1 << _UNIT_SHIFT[match.group(2).lower()]))


def argument_for_field(field, arguments):
    """Return the keyword argument in `arguments` that set spec `field`
    (snake_case), or ""."""
    for argument in arguments:
        mapped = FIELD_OF_ARGUMENT.get(argument)
        if mapped and (field == mapped or field.startswith(mapped + ".")):
            return argument
        if mapped and mapped.startswith(field + "."):
            return argument
    return ""


def _env_list(env):
    if env is None:
        return None
    if isinstance(env, dict):
        return [f"{name}={value}" for name, value in env.items()]
    return [str(entry) for entry in env]


def _user_dict(user):
    if isinstance(user, int):
        return {"user": str(user)}
    name, _, group = str(user).partition(":")
    result = {"user": name}
    if group:
        result["group"] = group
    return result


def _volume_mount(host, target, mode):
    """Return the mount of a host directory (an absolute path) or of a
    volume of the store (a name; "" for a new anonymous volume)."""
    if mode not in ("", "ro", "rw"):
        raise SpecError(f"volumes: invalid mode {mode!r} for {host or target}; use ro or rw",
                        field="mounts")
    if not host.startswith("/"):
        mount = {"destination": target, "type": "volume"}
        if host:
            mount["source"] = host
        if mode == "ro":
            mount["options"] = ["ro"]
        return mount
    options = ["rbind"]
    if mode == "ro":
        options.append("ro")
    return {"destination": target, "type": "bind", "source": host, "options": options}


def volume_mounts(volumes):
    """Turn Docker-style volumes into mounts: "/host:/target[:ro]" binds a
    host directory, "name:/target[:ro]" mounts a volume of the store (made
    on first use), "/target" a new anonymous volume; or a dict of host path
    or volume name to target or to {"bind": target, "mode": "ro"}."""
    mounts = []
    if isinstance(volumes, dict):
        for host, target in volumes.items():
            if isinstance(target, dict):
                mounts.append(_volume_mount(host, target["bind"], target.get("mode", "")))
            else:
                mounts.append(_volume_mount(host, str(target), ""))
        return mounts
    for entry in volumes:
        parts = str(entry).split(":")
        if len(parts) == 1 and parts[0].startswith("/"):
            mounts.append(_volume_mount("", parts[0], ""))
            continue
        if len(parts) not in (2, 3):
            raise SpecError(f"volumes: invalid entry {entry!r}; use HOST:TARGET[:ro], "
                            "VOLUME:TARGET[:ro] or TARGET", field="mounts")
        mounts.append(_volume_mount(parts[0], parts[1], parts[2] if len(parts) == 3 else ""))
    return mounts


def _network_dict(network, ports):
    """Return the spec Network for run()'s network and ports arguments:
    "none", "host", "container:ID" (or "container:/proc/PID/ns/net"), or
    the name of a network made with pycontain.networks.create."""
    network = str(network)
    if network == "none":
        result = {}
    elif network == "host":
        result = {"mode": "HOST"}
    elif network.startswith("container:"):
        target = network[len("container:"):]
        key = "containerNamespacePath" if target.startswith("/") else "container"
        result = {"mode": "CONTAINER", key: target}
    else:
        # The mode follows the network's driver, as `pycontain run` does.
        from . import networks  # pylint: disable=import-outside-toplevel
        from ._errors import NotFoundError  # pylint: disable=import-outside-toplevel
        try:
            driver = networks.inspect(network).driver
        except NotFoundError:
            raise SpecError(
                f"network: no network named {network!r}; use 'none', 'host', "
                "'container:ID' or a network from pycontain.networks.create()",
                field="network") from None
        result = {"mode": driver.upper(), "name": network}
    if ports:
        if isinstance(ports, str):
            ports = [ports]
        result["ports"] = [str(port) for port in ports]
    return result


def _seccomp_dict(seccomp):
    """Return the spec Seccomp for run()'s seccomp argument: "default",
    "unconfined", or the path of a profile file (OCI or Docker JSON)."""
    if seccomp == "default":
        return {"mode": "DEFAULT"}
    if seccomp == "unconfined":
        return {"mode": "UNCONFINED"}
    try:
        with open(seccomp, encoding="utf-8") as file:
            profile = file.read()
    except OSError as error:
        raise SpecError(f"seccomp: cannot read the profile {seccomp!r}: {error.strerror}; "
                        "use 'default', 'unconfined' or a profile file",
                        field="seccomp") from None
    return {"mode": "PROFILE", "profileJson": profile}


def _merge(base, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def process_dict(args, *, env=None, cwd=None, user=None):
    """Return the spec Process for `args` (a sequence, or a string that runs
    as one argument, as subprocess does without shell=True)."""
    if isinstance(args, (str, bytes, os.PathLike)):
        args = [args]
    process = {"args": [os.fsdecode(arg) for arg in args]}
    if env is not None:
        process["env"] = _env_list(env)
    if cwd is not None:
        process["cwd"] = os.fsdecode(cwd)
    if user is not None:
        process["user"] = _user_dict(user)
    return process


def build_spec(args, options):
    """Return the spec dict for `args` and the keyword arguments in
    `options` (only those the caller passed)."""
    unknown = set(options) - set(FIELD_OF_ARGUMENT) - set(_PENDING_ARGUMENTS) - {"spec"}
    if unknown:
        raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
    for argument, reason in _PENDING_ARGUMENTS.items():
        if options.get(argument) is not None:
            raise UnsupportedError(f"{argument}: not supported yet: {reason}",
                                   argument=argument, code="UNIMPLEMENTED")

    spec = {"process": process_dict(args, env=options.get("env"), cwd=options.get("cwd"),
                                    user=options.get("user"))}
    if options.get("rootfs") is not None:
        spec["root"] = {"path": os.fsdecode(options["rootfs"])}
    if options.get("read_only"):
        spec.setdefault("root", {})["readonly"] = True
    if options.get("hostname") is not None:
        spec["hostname"] = options["hostname"]
    if options.get("timeout") is not None:
        timeout = float(options["timeout"])
        if timeout <= 0:
            raise SpecError(f"timeout: must be positive, got {timeout}", field="timeout")
        spec["timeout"] = f"{timeout:.9f}s"
    if options.get("volumes"):
        spec["mounts"] = volume_mounts(options["volumes"])

    if options.get("image") is not None:
        spec["image"] = str(options["image"])
    network = _network_dict(options.get("network", "none"), options.get("ports"))
    if network:
        spec["network"] = network
    if options.get("seccomp") is not None:
        spec["security"] = {"seccomp": _seccomp_dict(options["seccomp"])}

    resources = {}
    if options.get("memory") is not None:
        resources["memoryBytes"] = parse_byte_size("memory", options["memory"])
    if options.get("memory_swap") is not None:
        resources["memorySwapBytes"] = parse_byte_size("memory_swap", options["memory_swap"])
    if options.get("cpus") is not None:
        resources["cpus"] = _number("cpus", options["cpus"], float)
    if options.get("pids_limit") is not None:
        resources["pidsLimit"] = _number("pids_limit", options["pids_limit"], int)
    if resources:
        spec["resources"] = resources

    if options.get("spec"):
        _merge(spec, options["spec"])
    return spec

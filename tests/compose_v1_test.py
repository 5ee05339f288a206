#!/usr/bin/env python3
"""Compares `pycontain compose config` with Debian's docker-compose 1.29.2.

Both read the same Compose files; the test checks that they agree on the
services, images, commands, environment, ports, volumes, limits and
dependencies. docker-compose v1 predates parts of the Compose
Specification, so its output differs in documented ways; V1_DIFFERENCES
lists each one with the specification's reason, and `canonical_service`
maps both outputs onto the same shape before comparing them.

Usage: compose_v1_test.py (run by Bazel from the workspace root of the
runfiles; PYCONTAIN_CLI may name the pycontain binary).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import unittest

import yaml

TESTDATA = "lib/compose/testdata"

# Files that both implementations load. ctf/example is compared separately
# (see test_v1_refuses_extending_a_service_with_depends_on).
COMPARED_FILES = [
    "ctf/nc-challenge/compose.yaml",
    "platform/compose.yaml",
    "v1/compose.yaml",
]

# How docker-compose 1.29.2 prints a model differently from the Compose
# Specification (and docker compose v2), and why the specification's form
# is the one pycontain prints.
V1_DIFFERENCES = {
    "version": "v1 adds `version: '3.9'`; the specification made `version` "
               "obsolete, so it is not printed.",
    "name": "v1 has no top-level `name`; in the specification it is the "
            "project name, which always applies.",
    "networks": "v1 leaves the implicit default network out; the "
                "specification attaches services without `networks` to "
                "`default` and v2 prints it.",
    "ports": "v1 prints ports with a host address in the short syntax and "
             "omits `protocol: tcp` and `mode`; the specification's long "
             "syntax has both, and `published` is a string (it may be a "
             "range).",
    "volumes": "v1 prints volumes in the short syntax SOURCE:TARGET:MODE; "
               "the specification's long syntax has type, source, target "
               "and read_only (and bind.create_host_path for the short "
               "syntax).",
    "sizes": "v1 prints mem_limit, memswap_limit, shm_size and memory "
             "limits as written; the specification's model holds bytes.",
    "command": "v1 keeps a command string; the specification splits it "
               "like a shell into the exec form, as v2 does.",
    "healthcheck.test": "v1 keeps a test string; the specification turns "
                        "it into [CMD-SHELL, string].",
    "depends_on.required": "v1 predates `required`; the specification's "
                           "default is true.",
    "extra_hosts": "v1 prints a list of HOST:IP; pycontain keeps the "
                   "mapping HOST: IP that the specification also allows, "
                   "so that files merge by host name.",
    "expose": "v1 prints expose entries as written (numbers); the "
              "specification's are strings.",
    "extends with depends_on": "v1 refuses to extend a service that has "
                               "depends_on; the specification merges "
                               "depends_on like any other mapping.",
}

SIZE_FIELDS = ("mem_limit", "memswap_limit", "mem_reservation", "shm_size")
DURATION_FIELDS = ("stop_grace_period",)
UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def to_bytes(value):
    """Reads a byte size the way Docker does ("16m", "1.5g" or a count)."""
    text = str(value).strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?", text)
    if not match:
        raise ValueError("not a size: %r" % value)
    return int(float(match.group(1)) * UNITS.get(match.group(2) or "b", 1))


def to_seconds(value):
    """Reads a Go duration ("1m30s", "300ms") as seconds."""
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", str(value)):
        total += float(number) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3,
                                  "us": 1e-6, "ns": 1e-9}[unit]
    return total


def canonical_port(port):
    if isinstance(port, dict):
        return (port.get("host_ip", ""), int(port["target"]),
                str(port.get("published", "")), port.get("protocol", "tcp"))
    text, _, protocol = str(port).partition("/")
    parts = text.rsplit(":", 2)
    host_ip, published, target = ([""] * (3 - len(parts)) + parts)
    return (host_ip, int(target), published, protocol or "tcp")


def canonical_volume(volume):
    if isinstance(volume, dict):
        return (volume.get("source", ""), volume["target"],
                bool(volume.get("read_only", False)))
    parts = volume.split(":")
    if len(parts) == 1:
        return ("", parts[0], False)  # an anonymous volume
    mode = parts[2] if len(parts) > 2 else "rw"
    return (parts[0], parts[1], "ro" in mode.split(","))


def canonical_extra_hosts(hosts):
    if isinstance(hosts, dict):
        return {name: str(address) for name, address in hosts.items()}
    result = {}
    for entry in hosts:
        separator = "=" if "=" in entry else ":"
        name, _, address = entry.partition(separator)
        result[name] = address
    return result


def canonical_command(command):
    return shlex.split(command) if isinstance(command, str) else list(command)


def canonical_ulimits(ulimits):
    result = {}
    for name, value in (ulimits or {}).items():
        if isinstance(value, dict):
            result[name] = (int(value["soft"]), int(value["hard"]))
        else:
            result[name] = (int(value), int(value))
    return result


def canonical_service(service):
    """Maps one service of either output onto the compared shape."""
    result = {}
    for key, value in service.items():
        if key == "networks":
            continue  # V1_DIFFERENCES["networks"]
        if key == "ports":
            value = sorted(canonical_port(port) for port in value)
        elif key == "volumes":
            value = sorted(canonical_volume(volume) for volume in value)
        elif key in SIZE_FIELDS:
            value = to_bytes(value)
        elif key in DURATION_FIELDS:
            value = to_seconds(value)
        elif key in ("command", "entrypoint"):
            value = canonical_command(value)
        elif key == "healthcheck":
            value = dict(value)
            if isinstance(value.get("test"), str):
                value["test"] = ["CMD-SHELL", value["test"]]
            for field in ("interval", "timeout", "start_period"):
                if field in value:
                    value[field] = to_seconds(value[field])
        elif key == "depends_on":
            value = {name: dependency["condition"] for name, dependency in value.items()}
        elif key == "expose":
            value = sorted(str(port) for port in value)
        elif key == "extra_hosts":
            value = canonical_extra_hosts(value)
        elif key == "ulimits":
            value = canonical_ulimits(value)
        elif key == "cpus":
            value = float(value)
        elif key == "pids_limit":
            value = int(value)
        elif key == "deploy":
            limits = value.get("resources", {}).get("limits", {})
            value = {name: to_bytes(limit) if name == "memory" else float(limit)
                     for name, limit in limits.items()}
        result[key] = value
    return result


def pycontain_cli():
    return os.environ.get("PYCONTAIN_CLI", "examples/cli/pycontain")


def run_config(command, path, extra_env=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/root")}
    env.update(extra_env or {})
    completed = subprocess.run(command + ["-f", path, "config"], env=env,
                               capture_output=True, text=True, check=False)
    return completed


class ComposeV1Test(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if shutil.which("docker-compose") is None:
            raise AssertionError("docker-compose is not installed; scripts/setup "
                                 "installs Debian's docker-compose package")

    def load_both(self, relative):
        path = os.path.abspath(os.path.join(TESTDATA, relative))
        v1 = run_config(["docker-compose"], path)
        self.assertEqual(v1.returncode, 0, "docker-compose config failed:\n" + v1.stderr)
        ours = run_config([pycontain_cli(), "compose"], path)
        self.assertEqual(ours.returncode, 0, "pycontain compose config failed:\n" + ours.stderr)
        return yaml.safe_load(v1.stdout), yaml.safe_load(ours.stdout)

    def test_same_services_and_fields(self):
        for relative in COMPARED_FILES:
            v1, ours = self.load_both(relative)
            self.assertEqual(sorted(v1["services"]), sorted(ours["services"]), relative)
            for name in v1["services"]:
                with self.subTest(file=relative, service=name):
                    expected = canonical_service(v1["services"][name])
                    actual = canonical_service(ours["services"][name])
                    for key in sorted(set(expected) | set(actual)):
                        self.assertEqual(expected.get(key), actual.get(key),
                                         "%s: services.%s.%s" % (relative, name, key))

    def test_same_volumes_and_networks_declared(self):
        for relative in COMPARED_FILES:
            v1, ours = self.load_both(relative)
            self.assertEqual(sorted(v1.get("volumes", {})), sorted(ours.get("volumes", {})),
                             relative)
            declared = set(v1.get("networks", {}))
            self.assertLessEqual(declared, set(ours.get("networks", {})), relative)

    def test_documented_top_level_differences(self):
        v1, ours = self.load_both("platform/compose.yaml")
        self.assertEqual(v1.get("version"), "3.9", V1_DIFFERENCES["version"])
        self.assertNotIn("version", ours, V1_DIFFERENCES["version"])
        self.assertNotIn("name", v1, V1_DIFFERENCES["name"])
        self.assertEqual(ours["name"], "platform", V1_DIFFERENCES["name"])
        self.assertEqual(ours["networks"]["default"]["name"], "platform_default",
                         V1_DIFFERENCES["networks"])

    def test_v1_refuses_extending_a_service_with_depends_on(self):
        # v1 also rejects the top-level `name`, so it reads a copy of the
        # layout without it (the sibling directory comes along for extends).
        copy = os.path.join(os.environ.get("TEST_TMPDIR", "/tmp"), "ctf")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(os.path.join(TESTDATA, "ctf"), copy)
        example = os.path.join(copy, "example/compose.yaml")
        with open(example) as source:
            text = source.read()
        with open(example, "w") as out:
            out.write(text.replace("name: ctf-example\n", ""))

        v1 = run_config(["docker-compose"], example)
        self.assertNotEqual(v1.returncode, 0)
        self.assertIn("cannot be extended", v1.stderr, V1_DIFFERENCES["extends with depends_on"])

        ours = run_config([pycontain_cli(), "compose"], example)
        self.assertEqual(ours.returncode, 0, ours.stderr)
        model = yaml.safe_load(ours.stdout)
        self.assertEqual(model["services"]["web"]["depends_on"]["front"]["condition"],
                         "service_started")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)

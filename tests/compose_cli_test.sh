#!/bin/bash
# `pycontain compose` from the command line: options, the config output,
# warnings on stderr, exit statuses, and the commands not implemented yet.
set -u

PYCONTAIN=${PYCONTAIN_CLI:-examples/cli/pycontain}
TESTDATA=lib/compose/testdata
WORK=${TEST_TMPDIR:-/tmp}/compose_cli_test
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_status STATUS DESCRIPTION -- COMMAND...: runs COMMAND with its
# output in $WORK/out and $WORK/err.
expect_status() {
  local expected=$1 description=$2
  shift 3
  "$@" >"$WORK/out" 2>"$WORK/err"
  local status=$?
  if [ "$status" -ne "$expected" ]; then
    fail "$description: exit status $status, expected $expected; stderr: $(cat "$WORK/err")"
  fi
}

expect_in() {
  local file=$1 text=$2 description=$3
  grep -qF -- "$text" "$WORK/$file" || fail "$description: \"$text\" not in $file: $(cat "$WORK/$file")"
}

rm -rf "$WORK" && mkdir -p "$WORK/project"
cat >"$WORK/project/compose.yaml" <<'YAML'
services:
  web:
    image: busybox
    logging:
      driver: syslog
  debug:
    image: busybox
    profiles: [debug]
YAML
printf 'TAG=from-env-file\n' >"$WORK/project/ci.env"
printf 'services:\n  web:\n    image: busybox:${TAG}\n' >"$WORK/project/tagged.yaml"

expect_status 0 "config prints the model" -- "$PYCONTAIN" compose -f "$TESTDATA/platform/compose.yaml" config
expect_in out "name: platform" "config output"
expect_in out "      - mode: ingress" "ports in long syntax"
expect_in out "        condition: service_healthy" "depends_on in long syntax"

expect_status 0 "config --services" -- "$PYCONTAIN" compose -f "$TESTDATA/platform/compose.yaml" config --services
[ "$(tr '\n' ' ' <"$WORK/out")" = "app cache db pooler proxy " ] || fail "config --services: $(cat "$WORK/out")"

expect_status 0 "config SERVICE" -- "$PYCONTAIN" compose -f "$TESTDATA/platform/compose.yaml" config --services pooler
[ "$(tr '\n' ' ' <"$WORK/out")" = "db pooler " ] || fail "config pooler: $(cat "$WORK/out")"

expect_status 0 "warnings go to stderr" -- "$PYCONTAIN" compose --project-directory "$WORK/project" -f "$WORK/project/compose.yaml" config
expect_in err "compose.yaml:4:5: services.web.logging: parsed but not applied" "logging warning"
expect_in out "name: project" "project name from the directory"

expect_status 0 "--profile and -p" -- "$PYCONTAIN" compose -p custom --profile debug -f "$WORK/project/compose.yaml" config
expect_in out "name: custom" "-p"
expect_in out "  debug:" "--profile enables the service"

expect_status 0 "--env-file" -- "$PYCONTAIN" compose --env-file "$WORK/project/ci.env" -f "$WORK/project/tagged.yaml" config
expect_in out "image: busybox:from-env-file" "--env-file"

expect_status 0 "config -q" -- "$PYCONTAIN" compose -f "$TESTDATA/platform/compose.yaml" config -q
[ -s "$WORK/out" ] && fail "config -q printed: $(cat "$WORK/out")"

expect_status 125 "invalid file" -- "$PYCONTAIN" compose -f "$TESTDATA/bad/unknown_field.yaml" config
expect_in err "unknown_field.yaml:4:5: services.web: unknown field \"imgae\"" "invalid file"
[ -s "$WORK/out" ] && fail "invalid file printed a model: $(cat "$WORK/out")"

# `watch` (rebuild on file changes) is a docker compose command that
# pycontain does not implement.
expect_status 125 "watch is not implemented" -- "$PYCONTAIN" compose -f "$TESTDATA/platform/compose.yaml" watch
expect_in err "\"watch\" is not implemented yet" "watch"

expect_status 125 "unknown command" -- "$PYCONTAIN" compose -f "$TESTDATA/platform/compose.yaml" frobnicate
expect_in err "unknown command \"frobnicate\"" "unknown command"

expect_status 125 "unknown option" -- "$PYCONTAIN" compose --bogus config
expect_in err "unknown option \"--bogus\"" "unknown option"

expect_status 0 "help" -- "$PYCONTAIN" compose --help
expect_in out "Usage: pycontain compose" "help"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"

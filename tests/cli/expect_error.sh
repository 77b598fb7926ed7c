#!/usr/bin/env bash
# Usage: expect_error.sh REGEX COMMAND...
# Passes when COMMAND exits non-zero and its stderr matches REGEX (the error must name the problem).
set -u
regex=$1
shift
err=$("$@" 2>&1 >/dev/null)
rc=$?
if [ $rc -eq 0 ]; then
  echo "expected a failure, but the command succeeded: $*"
  exit 1
fi
if ! grep -Eq -- "$regex" <<<"$err"; then
  echo "exit $rc, but the message does not match /$regex/:"
  echo "$err"
  exit 1
fi
echo "ok: exit $rc, message: $(grep -E -- "$regex" <<<"$err" | head -1)"

# Sourced by the command-line test scripts: arguments NULLMARK_BINARY REPOSITORY, a scratch
# directory $out removed on exit, and the repository as the working directory.
set -euo pipefail
nullmark=$1
repo=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$repo"

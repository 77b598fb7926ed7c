# Sourced by the command-line test scripts: arguments NULLMARK_BINARY REPOSITORY, a scratch
# directory $out removed on exit, and the repository as the working directory.
set -euo pipefail
nullmark=$1
repo=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$repo"

is_png() {  # FILE: exits with a message unless FILE is a PNG image (the figures need python3-matplotlib)
  [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
    { echo "$1 is missing or not a PNG (see the plot.log beside it)"; exit 1; }
}

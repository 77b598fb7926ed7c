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

kill_rank() {  # RANK PATTERN: SIGKILLs the MPI rank RANK among the processes whose command line matches PATTERN
  local victim="" pid
  for pid in $(pgrep -f "$2"); do
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && victim=$pid
  done
  [ -n "$victim" ] || { echo "no rank $1 to kill"; exit 1; }
  kill -9 "$victim"
}

#!/bin/sh
# check-units.sh: verifies the generated systemd units with systemd-analyze,
# their ExecStart pointed at the built ppd (verify wants it to exist).
#
#   check-units.sh BUILT_PPD INSTALLED_PPD USER_UNIT SYSTEM_UNIT
set -eu
built=$1 installed=$2 user_unit=$3 system_unit=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$tmp}"

verify() {
  copy="$tmp/$(basename "$2")"
  sed "s|$installed|$built|g" "$2" > "$copy"
  if ! out=$(systemd-analyze "$1" verify --man=no "$copy" 2>&1); then
    case $out in
      *"Failed to initialize manager"*|*"Failed to lookup RuntimeDirectory"*)
        echo "SKIP: systemd-analyze cannot run here: $out"
        exit 77 ;;
    esac
  fi
  if [ -n "$out" ]; then
    echo "$2: $out"
    exit 1
  fi
  echo "$2: OK"
}

verify --user "$user_unit"
verify --system "$system_unit"

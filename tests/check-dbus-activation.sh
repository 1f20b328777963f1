#!/usr/bin/env bash
# check-dbus-activation.sh PP_MONITOR SERVICE_FILE SCHEMA_DIR
#
# DBusActivatable=true, as a desktop shell uses it: on a private session bus
# whose service directory holds data/org.ppglib.Monitor.service (its Exec=
# pointed at the build tree), org.freedesktop.Application.Activate starts
# pp-monitor, which opens its window; ActivateAction("quit") ends it.
# Runs itself again inside xvfb-run and dbus-run-session.
set -euo pipefail

app_id=org.ppglib.Monitor
app_path=/org/ppglib/Monitor

inside() {
  local pid=
  call() { gdbus call --session --timeout 20 "$@"; }
  bus() { call --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
            --method "org.freedesktop.DBus.$1" "${@:2}"; }

  bus ListActivatableNames | grep -q "'$app_id'" ||
    { echo "FAIL: $app_id is not activatable"; return 1; }
  bus NameHasOwner "$app_id" | grep -q false

  # As GNOME Shell launches a DBusActivatable application.
  call --dest "$app_id" --object-path "$app_path" \
       --method org.freedesktop.Application.Activate '{}' >/dev/null
  pid=$(bus GetConnectionUnixProcessID "$app_id" | tr -dc '0-9')
  echo "activated: pid $pid"

  # Its window is there: GtkApplicationWindow exports its actions.
  local actions=
  for _ in $(seq 100); do
    actions=$(call --dest "$app_id" --object-path "$app_path/window/1" \
                   --method org.gtk.Actions.List 2>/dev/null) && break
    sleep 0.1
  done
  echo "window actions: $actions"
  echo "$actions" | grep -q "'show-help-overlay'" ||
    { echo "FAIL: no window opened"; kill "$pid"; return 1; }

  call --dest "$app_id" --object-path "$app_path" \
       --method org.freedesktop.Application.ActivateAction quit '[]' '{}' >/dev/null
  for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "quit on ActivateAction(\"quit\")"
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL: pid $pid still runs 10 s after ActivateAction(\"quit\")"
  kill -9 "$pid"
  return 1
}

if [ "${1:-}" = --inside ]; then
  inside
  exit
fi

exe=${1:?PP_MONITOR} service=${2:?SERVICE_FILE} schemas=${3:?SCHEMA_DIR}
if [ ! -x "$exe" ]; then
  echo "SKIP: $exe is not built (pp-monitor/ missing or -Dmonitor=disabled)" >&2
  exit 77
fi
for tool in xvfb-run dbus-run-session gdbus; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed" >&2   # dev.sh installs xvfb, xauth, dbus
    exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/services"
grep -qx "Name=$app_id" "$service"
grep -q '^Exec=.*/pp-monitor --gapplication-service$' "$service"
sed "s|^Exec=.*/pp-monitor |Exec=$exe |" "$service" >"$tmp/services/$app_id.service"
cat >"$tmp/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <servicedir>$tmp/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF

# What the activated pp-monitor inherits from the bus: the display, the
# schema of the build tree, settings in memory, no accessibility bus.
export GSETTINGS_SCHEMA_DIR="$schemas" GSETTINGS_BACKEND=memory
export NO_AT_BRIDGE=1 GTK_A11Y=none GSK_RENDERER=cairo GDK_BACKEND=x11
unset DBUS_SESSION_BUS_ADDRESS
xvfb-run -a dbus-run-session --config-file="$tmp/session.conf" -- "$0" --inside

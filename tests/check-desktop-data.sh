#!/usr/bin/env bash
# check-desktop-data.sh SRCDIR DESKTOP METAINFO
#
# pp-monitor's desktop data and translations, as distributions check them:
# the built (translated) desktop entry and AppStream metainfo, the settings
# schema, every .po file, the sorted LINGUAS and POTFILES.in, that
# POTFILES.in names every file with translatable strings, and that each
# language translates every string of the current sources.
set -euo pipefail

src=${1:?SRCDIR} desktop=${2:?DESKTOP} metainfo=${3:?METAINFO}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

for tool in desktop-file-validate appstreamcli glib-compile-schemas msgfmt msgmerge xgettext; do
  if ! command -v "$tool" >/dev/null; then
    # dev.sh installs them (desktop-file-utils, appstream, libglib2.0-bin, gettext).
    echo "SKIP: $tool is not installed" >&2
    exit 77
  fi
done

# xgettext as i18n.gettext(preset: 'glib') runs it (po/meson.build).
xgettext_glib() {
  xgettext --from-code=UTF-8 --add-comments \
    --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
    --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
    --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
    --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
    --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
    --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
    --flag=g_printerr:1:c-format --flag=g_print:1:c-format "$@"
}

# The desktop entry: warnings count as errors, hints do not.
out=$(desktop-file-validate "$desktop" 2>&1) || fail "desktop-file-validate: $out"
if echo "$out" | grep -Eq ': (error|warning):'; then
  fail "desktop-file-validate: $out"
fi
grep -q '^Name\[zh_CN\]=' "$desktop" || fail "$desktop has no Chinese Name"
grep -qx 'DBusActivatable=true' "$desktop" || fail "$desktop is not D-Bus activatable"

# Its icon, scalable and symbolic, under the name the entry gives.
icon=$(sed -n 's/^Icon=//p' "$desktop")
for svg in "$src/data/icons/hicolor/scalable/apps/$icon.svg" \
           "$src/data/icons/hicolor/symbolic/apps/$icon-symbolic.svg"; do
  if [ ! -f "$svg" ]; then
    fail "no icon $svg for Icon=$icon"
  elif command -v xmllint >/dev/null; then
    xmllint --noout --nonet "$svg" 2>"$tmp/svg.log" || fail "$svg: $(cat "$tmp/svg.log")"
  fi
done

appstreamcli validate --no-net --pedantic "$metainfo" >"$tmp/as.log" 2>&1 ||
  fail "appstreamcli validate: $(cat "$tmp/as.log")"
grep -q '<name xml:lang="zh_CN">' "$metainfo" || fail "$metainfo has no Chinese name"

# One name everywhere: the desktop entry's is the metainfo's, the window's
# title and the About window's (the sources' untranslated strings).
name=$(sed -n 's/^Name=//p' "$desktop")
grep -q "<name>$name</name>" "$metainfo" || fail "$metainfo's <name> is not the desktop entry's Name, $name"
grep -q "<property name=\"title\" translatable=\"yes\">$name</property>" "$src/pp-monitor/ppm-window.ui" ||
  fail "pp-monitor/ppm-window.ui's title is not the desktop entry's Name, $name"
grep -q "\"application-name\", _(\"$name\")" "$src/pp-monitor/ppm-application.c" ||
  fail "About's application-name is not the desktop entry's Name, $name"

glib-compile-schemas --strict --dry-run "$src/data" >"$tmp/schemas.log" 2>&1 ||
  fail "glib-compile-schemas --strict: $(cat "$tmp/schemas.log")"

# The manual page, as man formats it (groff warnings are failures).
if command -v man >/dev/null; then
  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$src/data/pp-monitor.1" 2>"$tmp/man.log" >/dev/null ||
    fail "man pp-monitor.1: $(cat "$tmp/man.log")"
  [ ! -s "$tmp/man.log" ] || fail "man pp-monitor.1: $(cat "$tmp/man.log")"
else
  echo "note: man (man-db) is not installed: data/pp-monitor.1 not checked" >&2
fi

# LINGUAS and POTFILES.in: sorted, no duplicates; a .po for each language
# and a language for each .po.
strip_comments() { grep -v -e '^#' -e '^[[:space:]]*$' "$1" || true; }
for list in LINGUAS POTFILES.in; do
  strip_comments "$src/po/$list" >"$tmp/$list"
  LC_ALL=C sort -u "$tmp/$list" | cmp -s - "$tmp/$list" ||
    fail "po/$list is not sorted or has duplicates"
done
(cd "$src/po" && ls -- *.po) | sed 's/\.po$//' | LC_ALL=C sort >"$tmp/po-files"
LC_ALL=C sort "$tmp/LINGUAS" | cmp -s - "$tmp/po-files" ||
  fail "po/LINGUAS ($(echo $(cat "$tmp/LINGUAS"))) and the .po files ($(echo $(cat "$tmp/po-files"))) differ"

# Every listed file exists. A whole missing directory is one that this tree
# does not have yet (pp-monitor/ comes from its own branch): said, not failed.
: >"$tmp/potfiles"
while read -r file; do
  if [ -f "$src/$file" ]; then
    echo "$file" >>"$tmp/potfiles"
  elif [ -d "$src/${file%%/*}" ]; then
    fail "po/POTFILES.in lists $file, which does not exist"
  else
    echo "note: $file is listed but ${file%%/*}/ is not in this tree" >&2
  fi
done <"$tmp/POTFILES.in"

# Every C source and .ui of ppd and pp-monitor (their tests aside) with a
# translatable string, and every translatable data file, is listed.
dirs=()
for dir in data ppd pp-monitor; do
  [ -d "$src/$dir" ] && dirs+=("$dir")
done
(cd "$src" && find "${dirs[@]}" -maxdepth 3 \
   \( -name '*.c' -o -name '*.ui' -o -name '*.desktop.in' -o -name '*.metainfo.xml.in' \
      -o -name '*.gschema.xml' \) -not -path '*/tests/*' | LC_ALL=C sort) >"$tmp/candidates"
while read -r file; do
  grep -qx -- "$file" "$tmp/POTFILES.in" && continue
  rm -f "$tmp/one.pot"
  (cd "$src" && xgettext_glib -o "$tmp/one.pot" -- "$file")
  if [ -s "$tmp/one.pot" ]; then
    fail "$file has translatable strings but is not in po/POTFILES.in"
  fi
done <"$tmp/candidates"

# msgfmt --check on every .po (format strings, header, plural forms), UTF-8,
# and complete: nothing untranslated or fuzzy against the current sources.
# A format that xgettext cannot read whole (a macro such as G_GINT64_FORMAT
# inside a translatable string: use PRId64/PRIu64 of <inttypes.h>, which
# gettext knows) is a string no translation can match.
(cd "$src" && xgettext_glib --package-name=pp-monitor -f "$tmp/potfiles" -o "$tmp/pp-monitor.pot") \
  2>"$tmp/xgettext.log"
if grep -E -A1 'not a valid C format string|used without plural and with plural' "$tmp/xgettext.log" \
     >"$tmp/xgettext.bad"; then
  fail "xgettext cannot read these translatable strings whole:
$(cat "$tmp/xgettext.bad")"
fi
for po in "$src"/po/*.po; do
  name=$(basename "$po")
  msgfmt --check -o /dev/null "$po" 2>"$tmp/msgfmt.log" ||
    fail "msgfmt --check $name: $(cat "$tmp/msgfmt.log")"
  grep -q '^"Content-Type: text/plain; charset=UTF-8\\n"' "$po" ||
    fail "$name does not declare charset=UTF-8"
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$name" "$po" "$tmp/pp-monitor.pot"
  stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/$name" 2>&1)
  if echo "$stats" | grep -Eq 'fuzzy|untranslated'; then
    fail "$name against the sources: $stats
$(msgattrib --untranslated --no-obsolete --no-wrap "$tmp/$name" | grep -A1 '^#:' | head -n 40)"
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "desktop entry, metainfo, schema, $(wc -l <"$tmp/LINGUAS") language(s) and $(($(grep -c "^msgid " "$tmp/pp-monitor.pot") - 1)) strings checked"

/* test-ppd-submit.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ppd-dbus-error.h"
#include "ppd-dbus-submit.h"

/* What ppd's Submit takes (ppd/ppd-dbus-submit.c), without a bus: each
 * limit and rule of its arguments, just inside and just past it. */

static const char * const no_modules[] = { NULL };

/* Checks a submission of @function(@args_json) with @modules and @group;
 * the source is "pass". */
static gboolean
check (const char         *function,
       const char         *args_json,
       const char * const *modules,
       const char         *group,
       GError            **error)
{
  PpdJobTable *jobs = ppd_job_table_new (60, 100);
  gboolean ok = ppd_dbus_submit_check (jobs, "pass", function, args_json, modules, group, error);

  ppd_job_table_free (jobs);
  return ok;
}

static void
assert_refused (const char         *function,
                const char         *args_json,
                const char * const *modules,
                const char         *group,
                int                 code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (check (function, args_json, modules, group, &error));
  g_assert_error (error, PPD_DBUS_ERROR, code);
}

static void
test_submit_function_names (void)
{
  g_autofree char *longest = g_strnfill (1024, 'f');
  g_autofree char *too_long = g_strnfill (1025, 'f');
  const char *good[] = { "f", "_", "f2", "_private", "π", "café", "Ünïcode_1", longest };
  const char *bad[] = { "", "2f", "f-g", "f g", "f.g", "class", "None", "lambda", "f()",
                        "\xcc\x81" "f", too_long };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (check (good[i], "[]", no_modules, "", NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (bad[i], "[]", no_modules, "", PPD_DBUS_ERROR_INVALID_ARGUMENT);
}

static void
test_submit_arguments (void)
{
  g_autofree char *deep_ok = NULL;
  g_autofree char *too_deep = NULL;
  g_autoptr(GString) nested = g_string_new (NULL);

  g_assert_true (check ("f", "[1, \"two\", {\"three\": [3.0, null, true]}]", no_modules, "", NULL));
  for (guint i = 0; i < 512; i++)
    g_string_append_c (nested, '[');
  for (guint i = 0; i < 512; i++)
    g_string_append_c (nested, ']');
  deep_ok = g_strdup (nested->str);
  g_string_prepend_c (nested, '[');
  g_string_append_c (nested, ']');
  too_deep = g_strdup (nested->str);
  g_assert_true (check ("f", deep_ok, no_modules, "", NULL));
  assert_refused ("f", too_deep, no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
  assert_refused ("f", "", no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
  assert_refused ("f", "{}", no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
  assert_refused ("f", "[1,]", no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
  assert_refused ("f", "[1] [2]", no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
  /* A surrogate escape must be half of a pair (JSON-GLib leaks on
   * "\ud800\u0041", found by fuzz-worker). */
  g_assert_true (check ("f", "[\"\\ud83d\\ude00\", \"\\u00e9\"]", no_modules, "", NULL));
  assert_refused ("f", "[\"\\ud800\\u0041\"]", no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
  assert_refused ("f", "[\"\\ud800\"]", no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
  assert_refused ("f", "[\"\\udfff\"]", no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
  assert_refused ("f", "[\"\\u12\"]", no_modules, "", PPD_DBUS_ERROR_BAD_JSON);
}

static void
test_submit_modules_and_group (void)
{
  g_autofree char *long_module = g_strnfill (4097, 'm');
  g_autofree char *longest_group = g_strnfill (1024, 'g');
  g_autofree char *too_long_group = g_strnfill (1025, 'g');
  g_autofree const char **many = g_new0 (const char *, 258);
  const char *fine[] = { "math", "import os", "from os import path", NULL };
  const char *empty[] = { "math", " \t\n", NULL };
  const char *huge[] = { long_module, NULL };

  for (guint i = 0; i < 256; i++)
    many[i] = "math";
  g_assert_true (check ("f", "[]", many, "", NULL));
  many[256] = "math";
  assert_refused ("f", "[]", many, "", PPD_DBUS_ERROR_TOO_LARGE);
  g_assert_true (check ("f", "[]", fine, "", NULL));
  assert_refused ("f", "[]", empty, "", PPD_DBUS_ERROR_INVALID_ARGUMENT);
  assert_refused ("f", "[]", huge, "", PPD_DBUS_ERROR_TOO_LARGE);
  g_assert_true (check ("f", "[]", no_modules, longest_group, NULL));
  assert_refused ("f", "[]", no_modules, too_long_group, PPD_DBUS_ERROR_INVALID_ARGUMENT);
}

static void
test_submit_sizes (void)
{
  gsize max = 64 << 20;
  g_autofree char *big = g_malloc (max + 2);
  PpdJobTable *jobs = ppd_job_table_new (60, 100);
  g_autoptr(GError) error = NULL;

  /* A source of 64 MiB + 1 bytes, then arguments of as many */
  memset (big, ' ', max + 1);
  big[max + 1] = '\0';
  g_assert_false (ppd_dbus_submit_check (jobs, big, "f", "[]", no_modules, "", &error));
  g_assert_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  big[0] = '[';
  big[max] = ']';
  g_assert_false (ppd_dbus_submit_check (jobs, "pass", "f", big, no_modules, "", &error));
  g_assert_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* 64 MiB exactly are taken */
  big[max - 1] = ']';
  big[max] = '\0';
  g_assert_true (ppd_dbus_submit_check (jobs, "pass", "f", big, no_modules, "", &error));
  g_assert_no_error (error);
  ppd_job_table_free (jobs);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ppd-submit/function-names", test_submit_function_names);
  g_test_add_func ("/ppd-submit/arguments", test_submit_arguments);
  g_test_add_func ("/ppd-submit/modules-and-group", test_submit_modules_and_group);
  g_test_add_func ("/ppd-submit/sizes", test_submit_sizes);
  return g_test_run ();
}

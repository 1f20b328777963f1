/* fuzz-job-args.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pp-error.h"
#include "pp-server-private.h"
#include "ppd/ppd-dbus-error.h"
#include "ppd/ppd-json.h"

/* libFuzzer target for the JSON arguments of a job, as text: ppd's check
 * of a D-Bus Submit's args_json (ppd-json.c, a scanner of its own with a
 * depth limit) and the library's of pp_server_submit_json() (a nesting
 * count, then json-glib). The input, up to its first NUL, is the text;
 * the byte after that NUL, if any, is the depth limit of ppd's check (else
 * ppd's own, 512). Each check accepts or says why in a valid UTF-8 message
 * with the place of the fault. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define PPD_MAX_DEPTH 512

static void
check_ppd (const char *text,
           guint       max_depth)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = ppd_json_check_array (text, max_depth, &error);
  const char *p = text;

  g_assert (ok == (error == NULL));
  if (!ok)
    {
      g_assert (g_error_matches (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_BAD_JSON));
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return;
    }
  /* What it accepts is an array, with nothing but space around it. */
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  g_assert (*p == '[');
  p = text + strlen (text);
  while (p > text && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == '\r'))
    p--;
  g_assert (p > text && p[-1] == ']');
}

static void
check_library (const char *text)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = _pp_server_check_json_args (text, &error);

  g_assert (ok == (error == NULL));
  g_assert (ok || g_error_matches (error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT));
  g_assert (ok || g_utf8_validate (error->message, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const guint8 *nul = memchr (data, '\0', size);
  gsize len = nul ? (gsize) (nul - data) : size;
  guint max_depth = nul && len + 1 < size ? data[len + 1] : PPD_MAX_DEPTH;
  g_autofree char *text = g_strndup ((const char *) data, len);

  /* D-Bus strings are UTF-8, and so are the library's (json-glib takes
   * nothing else): ppd's scanner sees any bytes, the library UTF-8. */
  check_ppd (text, max_depth);
  if (g_utf8_validate (text, -1, NULL))
    check_library (text);
  return 0;
}

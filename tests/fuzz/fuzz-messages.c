/* fuzz-messages.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fuzz-frame-input.h"
#include "pp-error.h"
#include "pp-messages-private.h"

/* libFuzzer target for the messages a node reads from a client ("def",
 * "job", "cancel", "ping") and the result check a client applies to a
 * node's "res". Every frame goes through every decoder, whatever its
 * type: each either accepts it with values that fit or refuses it with a
 * protocol error. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_BODY (64 * 1024)

static void
check_refused (gboolean      ok,
               const GError *error)
{
  g_assert (ok == (error == NULL));
  g_assert (ok || g_error_matches (error, PP_ERROR, PP_ERROR_PROTOCOL));
  g_assert (ok || g_utf8_validate (error->message, -1, NULL));
}

static void
check_def (PpFrame *frame)
{
  g_auto(PpDefMessage) def = { 0, };
  g_autoptr(GError) error = NULL;
  gboolean ok = _pp_message_parse_def (frame, &def, &error);

  check_refused (ok, error);
  if (!ok)
    return;
  g_assert (def.key != NULL && def.name != NULL);
  g_assert (g_utf8_validate (def.key, -1, NULL) && g_utf8_validate (def.name, -1, NULL));
  g_assert (def.modules != NULL);
  for (guint i = 0; def.modules[i] != NULL; i++)
    g_assert (g_utf8_validate (def.modules[i], -1, NULL));
  /* The whole body, as text without NUL. */
  g_assert (def.source != NULL);
  g_assert (strlen (def.source) == g_bytes_get_size (frame->body));
  g_assert (g_utf8_validate (def.source, -1, NULL));
}

static void
check_job (PpFrame *frame)
{
  g_autoptr(GError) error = NULL;
  PpJobMessage job;
  gboolean ok = _pp_message_parse_job (frame, &job, &error);

  check_refused (ok, error);
  if (!ok)
    return;
  g_assert (job.id >= 0);
  g_assert (job.format == PP_PAYLOAD_FORMAT_PICKLE || job.format == PP_PAYLOAD_FORMAT_JSON);
  g_assert (job.key == NULL || g_utf8_validate (job.key, -1, NULL));
}

static void
check_cancel_and_ping (PpFrame *frame)
{
  g_autoptr(GError) cancel_error = NULL;
  g_autoptr(GError) ping_error = NULL;
  PpCancelMessage cancel = { -42 };
  PpPingMessage ping;
  gboolean ok;

  ok = _pp_message_parse_cancel (frame, &cancel, &cancel_error);
  check_refused (ok, cancel_error);
  g_assert (!ok || cancel.id >= 0);

  ok = _pp_message_parse_ping (frame, &ping, &ping_error);
  check_refused (ok, ping_error);
  g_assert (!ok || ping.n >= 0);
  g_assert (!ok || ping.has_n || ping.n == 0);
}

/* A result the check accepts can be used as pp-remote-node.c does. */
static void
check_result (PpFrame *frame)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *output = NULL;
  gint64 id = -42;
  double run_time;
  gboolean ok = _pp_message_check_result (frame, &id, &error);

  check_refused (ok, error);
  if (!ok)
    return;
  g_assert (id >= 0);
  run_time = _pp_message_get_run_time (frame);
  g_assert (run_time == -1 || (run_time >= 0 && run_time <= 1e9));
  (void) _pp_message_get_flag (frame, "ok");
  (void) _pp_message_get_flag (frame, "crashed");
  payload = _pp_message_split_result (frame, &output);
  g_assert (g_bytes_get_size (payload) <= g_bytes_get_size (frame->body));
  g_assert (output == NULL || g_utf8_validate (output, -1, NULL));
  g_assert (output != NULL ||
            g_bytes_get_size (payload) == g_bytes_get_size (frame->body));
}

/* The input is one frame's header, then (after a NUL, if there is one)
 * its body: the frame decoder has a target of its own, and without length
 * prefixes to keep right every mutation of the header reaches the
 * decoders. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(PpFrame) frame = fuzz_frame_from_input (data, size, MAX_BODY);

  if (frame == NULL)
    return 0;
  check_def (frame);
  check_job (frame);
  check_cancel_and_ping (frame);
  check_result (frame);
  return 0;
}

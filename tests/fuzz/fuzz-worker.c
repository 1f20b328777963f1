/* fuzz-worker.c
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
#include "pp-function.h"
#include "pp-job-private.h"
#include "pp-messages-private.h"
#include "pp-node-private.h"
#include "ppd/ppd-compile-check.h"
#include "ppd/ppd-dbus-error.h"

/* libFuzzer target for what C reads of a worker's output (the worker runs
 * the submitter's code, so its answers are an outsider's too): a "res"
 * frame taken as the local pool and a remote node take it
 * (_pp_message_check_result(), then _pp_node_finish_job() finishing a
 * real job whose getters are all called), and the body as ppd's source
 * check reads its JSON answer (ppd_compile_check_read_answer()).
 *
 * As for the messages target, the input is one frame's header, then
 * (after a NUL, if there is one) its body. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_BODY (64 * 1024)
#define JOB_ID   7

static void
check_job (PpJob *job)
{
  g_autoptr(GBytes) result = pp_job_dup_result (job);
  g_autofree char *output = pp_job_dup_output (job);
  g_autofree char *type = pp_job_dup_exception_type (job);
  g_autofree char *message = pp_job_dup_exception_message (job);
  g_autofree char *traceback = pp_job_dup_traceback (job);
  g_autoptr(GError) error = NULL;
  PpJobState state = pp_job_get_state (job);
  gboolean ok = pp_job_propagate_error (job, &error);

  g_assert (state == PP_JOB_STATE_DONE || state == PP_JOB_STATE_FAILED);
  g_assert (ok == (state == PP_JOB_STATE_DONE));
  g_assert (ok || (error->domain == PP_ERROR && g_utf8_validate (error->message, -1, NULL)));
  g_assert (output == NULL || g_utf8_validate (output, -1, NULL));
  g_assert (type == NULL || g_utf8_validate (type, -1, NULL));
  g_assert (message == NULL || g_utf8_validate (message, -1, NULL));
  g_assert (traceback == NULL || g_utf8_validate (traceback, -1, NULL));
  g_assert (pp_job_get_run_time (job) >= 0);
  g_assert (result == NULL || g_bytes_get_size (result) <= MAX_BODY);
}

/* As pp-local-pool.c's handle_result() (pp-remote-node.c's is alike). */
static void
take_result (PpFrame         *frame,
             PpPayloadFormat  format)
{
  static const char * const modules[] = { NULL };
  g_autoptr(PpFunction) function = pp_function_new ("f", "def f(x):\n    return x\n", modules);
  g_autoptr(GBytes) args = g_bytes_new_static ("[1]", 3);
  g_autoptr(PpJob) job = _pp_job_new (NULL, JOB_ID, function, args, format, "default");
  g_autoptr(GError) error = NULL;
  gboolean failed = FALSE;
  gint64 id;

  if (!_pp_message_check_result (frame, &id, &error))
    {
      g_assert (g_error_matches (error, PP_ERROR, PP_ERROR_PROTOCOL));
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return;
    }
  if (id != JOB_ID || _pp_message_get_flag (frame, "undefined") || _pp_message_get_flag (frame, "skipped"))
    return;
  _pp_job_set_running (job, "fuzz:60000");
  g_assert (_pp_node_finish_job (job, frame, &failed));
  g_assert (failed == (pp_job_get_state (job) == PP_JOB_STATE_FAILED));
  check_job (job);
}

static void
read_check_answer (PpFrame *frame)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = ppd_compile_check_read_answer (frame->body, &error);

  g_assert (ok == (error == NULL));
  g_assert (ok || error->domain == PPD_DBUS_ERROR);
  /* It goes back over D-Bus, where strings are UTF-8. */
  g_assert (ok || g_utf8_validate (error->message, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(PpFrame) frame = fuzz_frame_from_input (data, size, MAX_BODY);

  if (frame == NULL)
    return 0;
  take_result (frame, PP_PAYLOAD_FORMAT_PICKLE);
  take_result (frame, PP_PAYLOAD_FORMAT_JSON);
  read_check_answer (frame);
  return 0;
}

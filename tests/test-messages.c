/* test-messages.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <pp-glib.h>

#include "pp-frame-private.h"
#include "pp-messages-private.h"

/* The messages (docs/protocol.md), without processes: what the client
 * encodes decodes as the protocol says, and the node decodes it back;
 * results and the client's frames are checked before use. */

/* Every frame of @out, decoded. */
static GPtrArray *
decode_all (GByteArray *out)
{
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (PP_FRAME_DEFAULT_MAX_BODY);
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) _pp_frame_free);
  PpFrame *frame;
  g_autoptr(GError) error = NULL;

  _pp_frame_reader_push (reader, out->data, out->len);
  while ((frame = _pp_frame_reader_pop (reader, &error)) != NULL)
    g_ptr_array_add (frames, frame);
  g_assert_no_error (error);
  g_assert_cmpuint (_pp_frame_reader_get_pending (reader), ==, 0);
  return frames;
}

/* A frame with @header (JSON) and @body. */
static PpFrame *
frame_new (const char *header,
           const char *body)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GPtrArray) frames = NULL;

  _pp_frame_append (out, header, strlen (header), body, body ? strlen (body) : 0);
  frames = decode_all (out);
  g_assert_cmpuint (frames->len, ==, 1);
  return g_ptr_array_steal_index (frames, 0);
}

static void
test_messages_job (void)
{
  const char *modules[] = { "math", NULL };
  g_autoptr(PpFunction) function = pp_function_new ("f", "def f(x):\n    return x\n", modules);
  g_autoptr(PpServer) server = pp_server_new (0, NULL);
  g_autoptr(PpJob) job = pp_server_submit_json (server, function, "[7]", NULL, NULL);
  g_autoptr(GHashTable) defined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GPtrArray) frames = NULL;
  PpFrame *def, *first, *second, *skip, *cancel;

  g_assert_nonnull (job);
  _pp_message_append_job (out, defined, job);
  _pp_message_append_job (out, defined, job);
  _pp_message_append_skip (out, 12);
  _pp_message_append_cancel (out, 99);
  _pp_message_append_ping (out, 3);
  frames = decode_all (out);

  /* The definition goes once per peer, before the first job. */
  g_assert_cmpuint (frames->len, ==, 6);
  def = g_ptr_array_index (frames, 0);
  first = g_ptr_array_index (frames, 1);
  second = g_ptr_array_index (frames, 2);
  g_assert_cmpstr (_pp_frame_get_type (def), ==, "def");
  g_assert_cmpstr (_pp_frame_get_string (def, "key"), ==, pp_function_get_key (function));
  g_assert_cmpstr (_pp_frame_get_string (def, "name"), ==, "f");
  g_assert_cmpmem (g_bytes_get_data (def->body, NULL), g_bytes_get_size (def->body),
                   pp_function_get_source (function), strlen (pp_function_get_source (function)));
  g_assert_true (g_hash_table_contains (defined, pp_function_get_key (function)));
  for (PpFrame **f = (PpFrame *[]) { first, second, NULL }; *f != NULL; f++)
    {
      g_assert_cmpstr (_pp_frame_get_type (*f), ==, "job");
      g_assert_cmpint (_pp_frame_get_int (*f, "id", 0), ==, pp_job_get_id (job));
      g_assert_cmpstr (_pp_frame_get_string (*f, "fmt"), ==, "json");
      g_assert_cmpmem (g_bytes_get_data ((*f)->body, NULL), g_bytes_get_size ((*f)->body), "[7]", 3);
    }
  skip = g_ptr_array_index (frames, 3);
  cancel = g_ptr_array_index (frames, 4);
  g_assert_cmpstr (_pp_frame_get_type (skip), ==, "skip");
  g_assert_cmpint (_pp_frame_get_int (skip, "id", 0), ==, 12);
  g_assert_cmpstr (_pp_frame_get_type (cancel), ==, "cancel");
  g_assert_cmpint (_pp_frame_get_int (cancel, "id", 0), ==, 99);
  g_assert_cmpstr (_pp_frame_get_type (g_ptr_array_index (frames, 5)), ==, "ping");
  g_assert_cmpint (_pp_frame_get_int (g_ptr_array_index (frames, 5), "n", 0), ==, 3);
  pp_server_destroy (server);
}

static void
test_messages_result (void)
{
  g_autoptr(PpFrame) ok = frame_new ("{\"t\":\"res\",\"id\":5,\"ok\":true,\"time\":0.25,\"olen\":3}",
                                     "hi\n42");
  g_autofree char *output = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = -1;

  g_assert_true (_pp_message_check_result (ok, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, 5);
  g_assert_true (_pp_message_get_flag (ok, "ok"));
  g_assert_false (_pp_message_get_flag (ok, "skipped"));
  g_assert_cmpfloat (_pp_message_get_run_time (ok), ==, 0.25);
  payload = _pp_message_split_result (ok, &output);
  g_assert_cmpstr (output, ==, "hi\n");
  g_assert_cmpmem (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload), "42", 2);
}

/* A result read into a job's outcome: done with its payload and output, or
 * failed with the exception the peer sent. */
static void
test_messages_outcome (void)
{
  g_autoptr(PpFunction) function = pp_function_new ("f", "def f(x):\n    return x\n", NULL);
  g_autoptr(PpServer) server = pp_server_new (0, NULL);
  g_autoptr(PpJob) job = pp_server_submit_json (server, function, "[7]", NULL, NULL);
  g_autoptr(PpFrame) ok = frame_new ("{\"t\":\"res\",\"id\":1,\"ok\":true,\"time\":0.5,\"olen\":3}",
                                     "hi\n42");
  g_autoptr(PpFrame) raised = frame_new ("{\"t\":\"res\",\"id\":1,\"ok\":false,\"etype\":\"KeyError\","
                                         "\"emsg\":\"'k'\",\"tb\":\"Traceback\"}", "");
  g_auto(PpJobOutcome) done = { 0 };
  g_auto(PpJobOutcome) failed = { 0 };
  g_autoptr(GBytes) payload = _pp_message_parse_result (job, ok, &done);
  g_autoptr(GBytes) nothing = _pp_message_parse_result (job, raised, &failed);

  g_assert_cmpint (done.state, ==, PP_JOB_STATE_DONE);
  g_assert_no_error (done.error);
  g_assert_cmpfloat (done.run_time, ==, 0.5);
  g_assert_cmpstr (done.output, ==, "hi\n");
  g_assert_cmpmem (g_bytes_get_data (done.result, NULL), g_bytes_get_size (done.result), "42", 2);

  g_assert_cmpint (failed.state, ==, PP_JOB_STATE_FAILED);
  g_assert_error (failed.error, PP_ERROR, PP_ERROR_JOB_RAISED);
  g_assert_cmpstr (failed.exception_type, ==, "KeyError");
  g_assert_cmpstr (failed.exception_message, ==, "'k'");
  g_assert_cmpstr (failed.traceback, ==, "Traceback");
  g_assert_null (failed.result);
  g_assert_cmpfloat (failed.run_time, <, 0);
  pp_server_destroy (server);
}

/* What does not fit is refused, naming the member; the id is kept when it
 * was readable, so that its job can be failed. */
static void
test_messages_bad_results (void)
{
  const struct { const char *header; const char *body; gint64 id; } bad[] = {
    { "{\"t\":\"res\"}", NULL, -1 },
    { "{\"t\":\"res\",\"id\":-1}", NULL, -1 },
    { "{\"t\":\"res\",\"id\":1.5}", NULL, -1 },
    { "{\"t\":\"res\",\"id\":\"3\"}", NULL, -1 },
    { "{\"t\":\"res\",\"id\":4,\"ok\":1}", NULL, 4 },
    { "{\"t\":\"res\",\"id\":4,\"undefined\":\"yes\"}", NULL, 4 },
    { "{\"t\":\"res\",\"id\":4,\"time\":-1}", NULL, 4 },
    { "{\"t\":\"res\",\"id\":4,\"time\":1e300}", NULL, 4 },
    { "{\"t\":\"res\",\"id\":4,\"olen\":3}", "ab", 4 },
    { "{\"t\":\"res\",\"id\":4,\"olen\":-1}", "ab", 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(PpFrame) frame = frame_new (bad[i].header, bad[i].body);
      g_autoptr(GError) error = NULL;
      gint64 id = -1;

      g_assert_false (_pp_message_check_result (frame, &id, &error));
      g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
      g_assert_cmpint (id, ==, bad[i].id);
    }
}

/* What a client encodes, the node decodes back. */
static void
test_messages_node_round_trip (void)
{
  const char *modules[] = { "math", "os", NULL };
  g_autoptr(PpFunction) function = pp_function_new ("f", "def f(x):\n    return x\n", modules);
  g_autoptr(PpServer) server = pp_server_new (0, NULL);
  g_autoptr(PpJob) job = pp_server_submit_json (server, function, "[7]", NULL, NULL);
  g_autoptr(GHashTable) defined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GPtrArray) frames = NULL;
  g_auto(PpDefMessage) def = { 0, };
  PpJobMessage request;
  PpCancelMessage cancel;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (job);
  _pp_message_append_job (out, defined, job);
  _pp_message_append_cancel (out, 99);
  frames = decode_all (out);
  g_assert_cmpuint (frames->len, ==, 3);

  g_assert_true (_pp_message_parse_def (g_ptr_array_index (frames, 0), &def, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (def.key, ==, pp_function_get_key (function));
  g_assert_cmpstr (def.name, ==, "f");
  g_assert_cmpstrv (def.modules, modules);
  g_assert_cmpstr (def.source, ==, pp_function_get_source (function));

  g_assert_true (_pp_message_parse_job (g_ptr_array_index (frames, 1), &request, &error));
  g_assert_no_error (error);
  g_assert_cmpint (request.id, ==, pp_job_get_id (job));
  g_assert_cmpstr (request.key, ==, pp_function_get_key (function));
  g_assert_cmpint (request.format, ==, PP_PAYLOAD_FORMAT_JSON);

  g_assert_true (_pp_message_parse_cancel (g_ptr_array_index (frames, 2), &cancel, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cancel.id, ==, 99);
  pp_server_destroy (server);
}

static void
test_messages_node_frames (void)
{
  g_autoptr(PpFrame) def_frame = frame_new ("{\"t\":\"def\",\"key\":\"k\",\"name\":\"g\"}", NULL);
  g_autoptr(PpFrame) null_modules = frame_new ("{\"t\":\"def\",\"key\":\"k\",\"name\":\"g\","
                                               "\"modules\":null}", "x = 1");
  g_autoptr(PpFrame) pickle = frame_new ("{\"t\":\"job\",\"id\":0,\"fmt\":\"pickle\"}", "args");
  g_autoptr(PpFrame) bad_key = frame_new ("{\"t\":\"job\",\"id\":3,\"key\":5,\"fmt\":\"json\"}", NULL);
  g_autoptr(PpFrame) ping = frame_new ("{\"t\":\"ping\",\"n\":9007199254740993}", NULL);
  g_autoptr(PpFrame) bare_ping = frame_new ("{\"t\":\"ping\"}", NULL);
  g_auto(PpDefMessage) def = { 0, };
  g_auto(PpDefMessage) def2 = { 0, };
  PpJobMessage request;
  PpPingMessage message;

  /* No modules, no source: an empty list and an empty text. */
  g_assert_true (_pp_message_parse_def (def_frame, &def, NULL));
  g_assert_cmpstr (def.name, ==, "g");
  g_assert_cmpuint (g_strv_length (def.modules), ==, 0);
  g_assert_cmpstr (def.source, ==, "");
  g_assert_true (_pp_message_parse_def (null_modules, &def2, NULL));
  g_assert_cmpuint (g_strv_length (def2.modules), ==, 0);
  g_assert_cmpstr (def2.source, ==, "x = 1");

  /* Without a key (or with one that is no string) the node answers with a
   * failed "res", not a protocol error: the job is parsed. */
  g_assert_true (_pp_message_parse_job (pickle, &request, NULL));
  g_assert_cmpint (request.id, ==, 0);
  g_assert_null (request.key);
  g_assert_cmpint (request.format, ==, PP_PAYLOAD_FORMAT_PICKLE);
  g_assert_true (_pp_message_parse_job (bad_key, &request, NULL));
  g_assert_cmpint (request.id, ==, 3);
  g_assert_null (request.key);

  g_assert_true (_pp_message_parse_ping (ping, &message, NULL));
  g_assert_true (message.has_n);
  g_assert_cmpint (message.n, ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_true (_pp_message_parse_ping (bare_ping, &message, NULL));
  g_assert_false (message.has_n);
}

/* Each client frame that does not fit is a protocol error saying what is
 * wrong with it. */
static void
test_messages_node_bad_frames (void)
{
  const struct { const char *header; const char *body; gsize body_len; const char *says; } bad[] = {
    { "{\"t\":\"def\",\"name\":\"f\"}", NULL, 0, "“key” is missing" },
    { "{\"t\":\"def\",\"key\":\"k\"}", NULL, 0, "“name” is missing" },
    { "{\"t\":\"def\",\"key\":7,\"name\":\"f\"}", NULL, 0, "“key”" },
    { "{\"t\":\"def\",\"key\":\"k\",\"name\":[\"f\"]}", NULL, 0, "“name”" },
    { "{\"t\":\"def\",\"key\":\"k\",\"name\":\"f\",\"modules\":\"os\"}", NULL, 0, "\"modules\"" },
    { "{\"t\":\"def\",\"key\":\"k\",\"name\":\"f\",\"modules\":[\"os\",1]}", NULL, 0, "\"modules\"" },
    { "{\"t\":\"def\",\"key\":\"k\",\"name\":\"f\",\"modules\":[[\"os\"]]}", NULL, 0, "\"modules\"" },
    { "{\"t\":\"def\",\"key\":\"k\",\"name\":\"f\"}", "x = 1\0y", 7, "not UTF-8" },
    { "{\"t\":\"def\",\"key\":\"k\",\"name\":\"f\"}", "x = \xff", 5, "not UTF-8" },
    { "{\"t\":\"job\",\"key\":\"k\",\"fmt\":\"json\"}", NULL, 0, "“id” is missing" },
    { "{\"t\":\"job\",\"id\":-1,\"key\":\"k\",\"fmt\":\"json\"}", NULL, 0, "“id”" },
    { "{\"t\":\"job\",\"id\":1.5,\"key\":\"k\",\"fmt\":\"json\"}", NULL, 0, "“id”" },
    { "{\"t\":\"job\",\"id\":\"3\",\"key\":\"k\",\"fmt\":\"json\"}", NULL, 0, "“id”" },
    { "{\"t\":\"job\",\"id\":1e3,\"key\":\"k\",\"fmt\":\"json\"}", NULL, 0, "“id”" },
    { "{\"t\":\"job\",\"id\":3,\"key\":\"k\"}", NULL, 0, "\"fmt\"" },
    { "{\"t\":\"job\",\"id\":3,\"key\":\"k\",\"fmt\":\"xml\"}", NULL, 0, "\"fmt\"" },
    { "{\"t\":\"job\",\"id\":3,\"key\":\"k\",\"fmt\":1}", NULL, 0, "\"fmt\"" },
    { "{\"t\":\"cancel\"}", NULL, 0, "malformed \"cancel\" frame: member “id” is missing" },
    { "{\"t\":\"cancel\",\"id\":true}", NULL, 0, "“id”" },
    { "{\"t\":\"cancel\",\"id\":-9}", NULL, 0, "“id”" },
    { "{\"t\":\"ping\",\"n\":-1}", NULL, 0, "“n”" },
    { "{\"t\":\"ping\",\"n\":\"1\"}", NULL, 0, "“n”" },
    { "{\"t\":\"ping\",\"n\":null}", NULL, 0, "“n”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GByteArray) out = g_byte_array_new ();
      g_autoptr(GPtrArray) frames = NULL;
      g_autoptr(GError) error = NULL;
      const char *type;
      PpFrame *frame;
      gboolean ok;

      _pp_frame_append (out, bad[i].header, strlen (bad[i].header), bad[i].body, bad[i].body_len);
      frames = decode_all (out);
      frame = g_ptr_array_index (frames, 0);
      type = _pp_frame_get_type (frame);
      if (g_str_equal (type, "def"))
        {
          g_auto(PpDefMessage) def = { 0, };

          ok = _pp_message_parse_def (frame, &def, &error);
        }
      else if (g_str_equal (type, "job"))
        {
          PpJobMessage request;

          ok = _pp_message_parse_job (frame, &request, &error);
        }
      else if (g_str_equal (type, "cancel"))
        {
          PpCancelMessage cancel;

          ok = _pp_message_parse_cancel (frame, &cancel, &error);
        }
      else
        {
          PpPingMessage ping;

          ok = _pp_message_parse_ping (frame, &ping, &error);
        }
      g_test_message ("%s", bad[i].header);
      g_assert_false (ok);
      g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, bad[i].says));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/messages/job", test_messages_job);
  g_test_add_func ("/messages/result", test_messages_result);
  g_test_add_func ("/messages/outcome", test_messages_outcome);
  g_test_add_func ("/messages/bad-results", test_messages_bad_results);
  g_test_add_func ("/messages/node/round-trip", test_messages_node_round_trip);
  g_test_add_func ("/messages/node/frames", test_messages_node_frames);
  g_test_add_func ("/messages/node/bad-frames", test_messages_node_bad_frames);

  return g_test_run ();
}

/* test-handshake.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <pp-glib.h>

#include "pp-frame-private.h"
#include "pp-handshake-private.h"

/* The two state machines talk through byte arrays and the frame reader, as
 * they do over a connection. */

#define NONCE_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Decodes the one frame in @bytes, then empties @bytes. */
static PpFrame *
pop_frame (GByteArray *bytes)
{
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (PP_FRAME_DEFAULT_MAX_BODY);
  g_autoptr(GError) error = NULL;
  PpFrame *frame;

  _pp_frame_reader_push (reader, bytes->data, bytes->len);
  frame = _pp_frame_reader_pop (reader, &error);
  g_assert_no_error (error);
  g_assert_nonnull (frame);
  g_assert_cmpuint (_pp_frame_reader_get_pending (reader), ==, 0);
  g_byte_array_set_size (bytes, 0);

  return frame;
}

static PpFrame *
make_frame (const char *header,
            const char *body)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();

  _pp_frame_append (bytes, header, strlen (header), body, body ? strlen (body) : 0);
  return pop_frame (bytes);
}

static char *
hmac_hex (const char   *secret,
          const char   *label,
          const char   *first,
          const char   *second,
          const guint8 *cb,
          gsize         cb_len)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));

  /* The layout of docs/protocol.md, written out independently. */
  g_hmac_update (hmac, (const guchar *) label, strlen (label) + 1);
  g_hmac_update (hmac, (const guchar *) first, strlen (first));
  g_hmac_update (hmac, (const guchar *) "", 1);
  g_hmac_update (hmac, (const guchar *) second, strlen (second));
  g_hmac_update (hmac, (const guchar *) "", 1);
  g_hmac_update (hmac, cb, cb_len);
  return g_strdup (g_hmac_get_string (hmac));
}

typedef struct
{
  PpHandshake *client;
  PpHandshake *node;
  GByteArray  *to_node;
  GByteArray  *to_client;
} Pair;

static void
pair_init (Pair       *pair,
           const char *client_secret,
           const char *node_secret,
           GBytes     *client_cb,
           GBytes     *node_cb)
{
  pair->client = _pp_handshake_new (PP_HANDSHAKE_CLIENT, client_secret, client_cb);
  pair->node = _pp_handshake_new (PP_HANDSHAKE_NODE, node_secret, node_cb);
  _pp_handshake_set_welcome (pair->node, 4, "host:60000", 3600);
  pair->to_node = g_byte_array_new ();
  pair->to_client = g_byte_array_new ();
}

static void
pair_clear (Pair *pair)
{
  g_clear_pointer (&pair->client, _pp_handshake_free);
  g_clear_pointer (&pair->node, _pp_handshake_free);
  g_clear_pointer (&pair->to_node, g_byte_array_unref);
  g_clear_pointer (&pair->to_client, g_byte_array_unref);
}

static PpHandshakeStatus
feed (PpHandshake  *handshake,
      GByteArray   *from,
      GByteArray   *to,
      GError      **error)
{
  g_autoptr(PpFrame) frame = pop_frame (from);

  return _pp_handshake_feed (handshake, frame, to, error);
}

/* Runs hello and challenge and expects the client to refuse the node's
 * proof (@error, if not %NULL, says why). */
static void
client_refuses (Pair    *pair,
                GError **error)
{
  _pp_handshake_start (pair->client, pair->to_node);
  g_assert_cmpint (feed (pair->node, pair->to_node, pair->to_client, NULL), ==,
                   PP_HANDSHAKE_CONTINUE);
  g_assert_cmpint (feed (pair->client, pair->to_client, pair->to_node, error), ==,
                   PP_HANDSHAKE_FAILED);
}

/* Runs hello and challenge; the client's "auth" is left in to_node. */
static void
pair_run_to_auth (Pair *pair)
{
  g_autoptr(GError) error = NULL;

  _pp_handshake_start (pair->client, pair->to_node);
  g_assert_cmpint (feed (pair->node, pair->to_node, pair->to_client, &error), ==,
                   PP_HANDSHAKE_CONTINUE);
  g_assert_no_error (error);
  g_assert_cmpint (feed (pair->client, pair->to_client, pair->to_node, &error), ==,
                   PP_HANDSHAKE_CONTINUE);
  g_assert_no_error (error);
}

static void
pair_run (Pair *pair)
{
  g_autoptr(GError) error = NULL;

  pair_run_to_auth (pair);
  g_assert_cmpint (feed (pair->node, pair->to_node, pair->to_client, &error), ==,
                   PP_HANDSHAKE_DONE);
  g_assert_no_error (error);
  g_assert_cmpint (feed (pair->client, pair->to_client, pair->to_node, &error), ==,
                   PP_HANDSHAKE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (pair->to_node->len, ==, 0);
}

/* Asserts that @out holds exactly one "error" frame with @code. */
static void
assert_error_frame (GByteArray *out,
                    const char *code,
                    const char *message_part)
{
  g_autoptr(PpFrame) frame = pop_frame (out);

  g_assert_cmpstr (_pp_frame_get_type (frame), ==, "error");
  g_assert_cmpstr (_pp_frame_get_string (frame, "code"), ==, code);
  g_assert_nonnull (strstr (_pp_frame_get_string (frame, "message"), message_part));
}

static void
test_handshake_success (void)
{
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  pair_run (&pair);
  g_assert_cmpuint (_pp_handshake_get_ncpus (pair.client), ==, 4);
  g_assert_cmpstr (_pp_handshake_get_node_name (pair.client), ==, "host:60000");
  g_assert_cmpuint (_pp_handshake_get_timeout (pair.client), ==, 3600);
  pair_clear (&pair);
}

/* The frames say what docs/protocol.md says they say, and the proofs are
 * the documented HMACs of the nonces on the wire. */
static void
test_handshake_wire_format (void)
{
  static const guint8 cb[] = { 0xde, 0xad, 0x00, 0xbe, 0xef };
  g_autoptr(GBytes) binding = g_bytes_new_static (cb, sizeof cb);
  g_autoptr(PpFrame) hello = NULL;
  g_autoptr(PpFrame) challenge = NULL;
  g_autoptr(PpFrame) auth = NULL;
  g_autoptr(PpFrame) welcome = NULL;
  g_autofree char *pn = NULL;
  g_autofree char *pc = NULL;
  const char *nc, *nn;
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", binding, binding);
  _pp_handshake_set_heartbeat (pair.node, 2000);
  _pp_handshake_start (pair.client, pair.to_node);
  hello = pop_frame (pair.to_node);
  g_assert_cmpstr (_pp_frame_get_type (hello), ==, "hello");
  g_assert_cmpint (_pp_frame_get_int (hello, "proto", -1), ==, 1);
  g_assert_true (g_str_has_prefix (_pp_frame_get_string (hello, "agent"), "pp-glib/"));
  nc = _pp_frame_get_string (hello, "nonce");
  g_assert_cmpuint (strlen (nc), ==, 64);

  g_assert_cmpint (_pp_handshake_feed (pair.node, hello, pair.to_client, NULL), ==,
                   PP_HANDSHAKE_CONTINUE);
  challenge = pop_frame (pair.to_client);
  g_assert_cmpstr (_pp_frame_get_type (challenge), ==, "challenge");
  g_assert_cmpint (_pp_frame_get_int (challenge, "proto", -1), ==, 1);
  nn = _pp_frame_get_string (challenge, "nonce");
  g_assert_cmpstr (nn, !=, nc);
  pn = hmac_hex ("s3cret", "pp-glib node", nc, nn, cb, sizeof cb);
  g_assert_cmpstr (_pp_frame_get_string (challenge, "proof"), ==, pn);

  g_assert_cmpint (_pp_handshake_feed (pair.client, challenge, pair.to_node, NULL), ==,
                   PP_HANDSHAKE_CONTINUE);
  auth = pop_frame (pair.to_node);
  g_assert_cmpstr (_pp_frame_get_type (auth), ==, "auth");
  pc = hmac_hex ("s3cret", "pp-glib client", nn, nc, cb, sizeof cb);
  g_assert_cmpstr (_pp_frame_get_string (auth, "proof"), ==, pc);

  g_assert_cmpint (_pp_handshake_feed (pair.node, auth, pair.to_client, NULL), ==,
                   PP_HANDSHAKE_DONE);
  welcome = pop_frame (pair.to_client);
  g_assert_cmpstr (_pp_frame_get_type (welcome), ==, "welcome");
  g_assert_cmpint (_pp_frame_get_int (welcome, "ncpus", -1), ==, 4);
  g_assert_cmpstr (_pp_frame_get_string (welcome, "node"), ==, "host:60000");
  g_assert_cmpstr (_pp_frame_get_string (welcome, "version"), ==, PACKAGE_VERSION);
  g_assert_cmpint (_pp_frame_get_int (welcome, "timeout", -1), ==, 3600);
  g_assert_cmpint (_pp_frame_get_int (welcome, "heartbeat_ms", -1), ==, 2000);
  g_assert_cmpint (_pp_handshake_feed (pair.client, welcome, pair.to_node, NULL), ==,
                   PP_HANDSHAKE_DONE);
  g_assert_cmpuint (_pp_handshake_get_heartbeat (pair.client), ==, 2000);
  pair_clear (&pair);
}

static void
test_handshake_empty_secret (void)
{
  Pair pair = { 0 };

  pair_init (&pair, "", "", NULL, NULL);
  pair_run (&pair);
  g_assert_cmpuint (_pp_handshake_get_ncpus (pair.client), ==, 4);
  pair_clear (&pair);

  /* NULL means the same as "". */
  pair_init (&pair, NULL, "", NULL, NULL);
  pair_run (&pair);
  pair_clear (&pair);
}

/* A client with the wrong secret that does not check the node's proof (or
 * an attacker) still cannot get in. */
static void
test_handshake_node_refuses_client (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) hello = NULL;
  g_autoptr(PpFrame) challenge = NULL;
  g_autoptr(PpFrame) auth = NULL;
  g_autofree char *wrong = NULL;
  g_autofree char *header = NULL;
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  _pp_handshake_start (pair.client, pair.to_node);
  hello = pop_frame (pair.to_node);
  g_assert_cmpint (_pp_handshake_feed (pair.node, hello, pair.to_client, NULL), ==,
                   PP_HANDSHAKE_CONTINUE);
  challenge = pop_frame (pair.to_client);
  wrong = hmac_hex ("guess", "pp-glib client", _pp_frame_get_string (challenge, "nonce"),
                    _pp_frame_get_string (hello, "nonce"), NULL, 0);
  header = g_strdup_printf ("{\"t\":\"auth\",\"proof\":\"%s\"}", wrong);
  auth = make_frame (header, NULL);

  g_assert_cmpint (_pp_handshake_feed (pair.node, auth, pair.to_client, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "authentication failed: wrong secret");
  g_clear_error (&error);

  /* The real client, now waiting for "welcome", reports what the node said. */
  g_assert_cmpint (_pp_handshake_feed (pair.client, challenge, pair.to_node, NULL), ==,
                   PP_HANDSHAKE_CONTINUE);
  g_assert_cmpint (feed (pair.client, pair.to_client, pair.to_node, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "authentication failed: wrong secret");
  pair_clear (&pair);
}

static void
test_handshake_wrong_secret (void)
{
  g_autoptr(GError) error = NULL;
  Pair pair = { 0 };

  /* The client checks the node's proof first and stops there. */
  pair_init (&pair, "s3cret", "other", NULL, NULL);
  client_refuses (&pair, &error);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "the node could not prove the shared secret");
  g_clear_error (&error);
  /* ...and tells the node, which logs a wrong secret. */
  g_assert_cmpint (feed (pair.node, pair.to_node, pair.to_client, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "authentication failed: wrong secret (the client refused this node's proof)");
  pair_clear (&pair);

  /* A secret on one side only. */
  pair_init (&pair, "", "s3cret", NULL, NULL);
  client_refuses (&pair, NULL);
  pair_clear (&pair);
}

static void
test_handshake_version (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) hello = make_frame ("{\"t\":\"hello\",\"proto\":2,\"nonce\":\"" NONCE_A "\"}", NULL);
  g_autoptr(PpFrame) challenge = NULL;
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  g_assert_cmpint (_pp_handshake_feed (pair.node, hello, pair.to_client, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "protocol version 2 is not supported (this side speaks 1)");
  g_clear_error (&error);

  /* The client of the other version hears it in its own terms. */
  _pp_handshake_start (pair.client, pair.to_node);
  g_assert_cmpint (feed (pair.client, pair.to_client, pair.to_node, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_cmpstr (error->message, ==, "protocol version 2 is not supported (the node speaks 1)");
  g_clear_error (&error);
  pair_clear (&pair);

  /* And the node's error frame carries the "version" code. */
  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  g_assert_cmpint (_pp_handshake_feed (pair.node, hello, pair.to_client, NULL), ==,
                   PP_HANDSHAKE_FAILED);
  assert_error_frame (pair.to_client, "version", "protocol version 2 is not supported");

  /* A client checks the node's version too. */
  _pp_handshake_start (pair.client, pair.to_node);
  challenge = make_frame ("{\"t\":\"challenge\",\"proto\":0,\"nonce\":\"" NONCE_A "\","
                          "\"proof\":\"" NONCE_A "\"}", NULL);
  g_assert_cmpint (_pp_handshake_feed (pair.client, challenge, pair.to_node, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_cmpstr (error->message, ==, "protocol version 0 is not supported (this side speaks 1)");
  pair_clear (&pair);
}

/* Feeds @header (and @body) to a fresh node in the state after @steps
 * frames, expecting a refusal with an "error" frame of @code. */
static void
assert_node_refuses (guint       steps,
                     const char *header,
                     const char *body,
                     const char *code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) frame = make_frame (header, body);
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  if (steps > 0)
    {
      _pp_handshake_start (pair.client, pair.to_node);
      g_assert_cmpint (feed (pair.node, pair.to_node, pair.to_client, NULL), ==,
                       PP_HANDSHAKE_CONTINUE);
      g_byte_array_set_size (pair.to_client, 0);
    }
  g_assert_cmpint (_pp_handshake_feed (pair.node, frame, pair.to_client, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_test_message ("%s → %s", header, error->message);
  assert_error_frame (pair.to_client, code, "");

  /* Once failed, always failed, and the node explains itself only once. */
  g_clear_error (&error);
  g_assert_cmpint (_pp_handshake_feed (pair.node, frame, pair.to_client, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_assert_cmpuint (pair.to_client->len, ==, 0);
  pair_clear (&pair);
}

/* Feeds @header to a fresh client after @steps of a good handshake. */
static void
assert_client_refuses (guint       steps,
                       const char *header,
                       const char *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) frame = make_frame (header, body);
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  if (steps > 0)
    _pp_handshake_start (pair.client, pair.to_node);
  if (steps > 1)
    {
      g_assert_cmpint (feed (pair.node, pair.to_node, pair.to_client, NULL), ==,
                       PP_HANDSHAKE_CONTINUE);
      g_assert_cmpint (feed (pair.client, pair.to_client, pair.to_node, NULL), ==,
                       PP_HANDSHAKE_CONTINUE);
    }
  g_byte_array_set_size (pair.to_node, 0);
  g_assert_cmpint (_pp_handshake_feed (pair.client, frame, pair.to_node, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_test_message ("%s → %s", header, error->message);
  /* A client answers a refusal only to say the node's proof was wrong. */
  if (strstr (error->message, "could not prove") != NULL)
    assert_error_frame (pair.to_node, "auth", "could not prove");
  g_assert_cmpuint (pair.to_node->len, ==, 0);
  pair_clear (&pair);
}

#define HELLO_OK "{\"t\":\"hello\",\"proto\":1,\"nonce\":\"" NONCE_A "\"}"
#define WELCOME_OK "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n:1\",\"version\":\"0.1.0\",\"timeout\":60}"

static void
test_handshake_unexpected_frames (void)
{
  /* A node waiting for "hello". */
  assert_node_refuses (0, "{\"t\":\"auth\",\"proof\":\"" NONCE_A "\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"job\",\"id\":1,\"key\":\"k\",\"fmt\":\"json\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"welcome\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":42}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":null}", NULL, "protocol");
  /* A node waiting for "auth". */
  assert_node_refuses (1, HELLO_OK, NULL, "protocol");
  assert_node_refuses (1, "{\"t\":\"ping\",\"n\":1}", NULL, "protocol");
  /* A client that refused this node's proof: a wrong secret, logged. */
  assert_node_refuses (1, "{\"t\":\"error\",\"code\":\"auth\"}", NULL, "auth");

  /* A client before it started, waiting for "challenge", for "welcome". */
  assert_client_refuses (0, HELLO_OK, NULL);
  assert_client_refuses (1, WELCOME_OK, NULL);
  assert_client_refuses (1, "{\"t\":\"res\",\"id\":1}", NULL);
  assert_client_refuses (2, "{\"t\":\"challenge\",\"proto\":1,\"nonce\":\"" NONCE_A "\","
                         "\"proof\":\"" NONCE_A "\"}", NULL);
  assert_client_refuses (2, "{\"t\":\"pong\",\"n\":1}", NULL);

  /* Types are compared whole: a U+0000 in them does not end them. */
  assert_node_refuses (0, "{\"t\":\"hello\\u0000x\",\"proto\":1,\"nonce\":\"" NONCE_A "\"}",
                       NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\\u0000\",\"proto\":1,\"nonce\":\"" NONCE_A "\"}",
                       NULL, "protocol");
  assert_node_refuses (1, "{\"t\":\"auth\\u0000\",\"proof\":\"" NONCE_A "\"}", NULL, "protocol");
  assert_client_refuses (2, "{\"t\":\"welcome\\u0000\",\"ncpus\":4,\"node\":\"n:1\","
                         "\"version\":\"0.1.0\",\"timeout\":60}", NULL);
}

static void
test_handshake_after_done (void)
{
  g_autoptr(PpFrame) frame = make_frame (HELLO_OK, NULL);
  g_autoptr(GError) error = NULL;
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  pair_run (&pair);
  g_assert_cmpint (_pp_handshake_feed (pair.client, frame, pair.to_node, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_cmpint (_pp_handshake_feed (pair.node, frame, pair.to_client, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  pair_clear (&pair);
}

static void
test_handshake_body (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) frame = make_frame (HELLO_OK, "x");
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  g_assert_cmpint (_pp_handshake_feed (pair.node, frame, pair.to_client, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_nonnull (strstr (error->message, "empty body"));
  pair_clear (&pair);

  assert_node_refuses (1, "{\"t\":\"auth\",\"proof\":\"" NONCE_A "\"}", "body", "protocol");
  assert_client_refuses (2, WELCOME_OK, "body");
}

static void
test_handshake_garbage_members (void)
{
  /* hello */
  assert_node_refuses (0, "{\"t\":\"hello\",\"nonce\":\"" NONCE_A "\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":\"1\",\"nonce\":\"" NONCE_A "\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1.0,\"nonce\":\"" NONCE_A "\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":true,\"nonce\":\"" NONCE_A "\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":[1],\"nonce\":\"" NONCE_A "\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1,\"nonce\":123}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1,\"nonce\":\"abc\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1,\"nonce\":\""
                       "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"}",
                       NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1,\"nonce\":\"" NONCE_A "0\"}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1,\"nonce\":{}}", NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1,\"nonce\":\"" NONCE_A "\",\"agent\":5}",
                       NULL, "protocol");
  assert_node_refuses (0, "{\"t\":\"hello\",\"proto\":1,\"nonce\":null}", NULL, "protocol");
  /* auth */
  assert_node_refuses (1, "{\"t\":\"auth\"}", NULL, "protocol");
  assert_node_refuses (1, "{\"t\":\"auth\",\"proof\":5}", NULL, "protocol");
  assert_node_refuses (1, "{\"t\":\"auth\",\"proof\":[]}", NULL, "protocol");
  assert_node_refuses (1, "{\"t\":\"auth\",\"proof\":\"\"}", NULL, "auth");
  assert_node_refuses (1, "{\"t\":\"auth\",\"proof\":\"" NONCE_A "\"}", NULL, "auth");
  /* challenge */
  assert_client_refuses (1, "{\"t\":\"challenge\",\"proto\":1,\"nonce\":\"" NONCE_A "\"}", NULL);
  assert_client_refuses (1, "{\"t\":\"challenge\",\"proto\":1,\"nonce\":\"" NONCE_A "\","
                         "\"proof\":7}", NULL);
  assert_client_refuses (1, "{\"t\":\"challenge\",\"proto\":1,\"proof\":\"" NONCE_A "\"}", NULL);
  assert_client_refuses (1, "{\"t\":\"challenge\",\"nonce\":\"" NONCE_A "\","
                         "\"proof\":\"" NONCE_A "\"}", NULL);
  assert_client_refuses (1, "{\"t\":\"challenge\",\"proto\":1,\"nonce\":\"" NONCE_A "\","
                         "\"proof\":\"" NONCE_A "\"}", NULL);
  /* welcome */
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":\"4\",\"node\":\"n\",\"version\":\"v\","
                         "\"timeout\":60}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":-1,\"node\":\"n\",\"version\":\"v\","
                         "\"timeout\":60}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":4.5,\"node\":\"n\",\"version\":\"v\","
                         "\"timeout\":60}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":99999999999,\"node\":\"n\","
                         "\"version\":\"v\",\"timeout\":60}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":7,\"version\":\"v\","
                         "\"timeout\":60}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"timeout\":60}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"version\":\"v\"}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"version\":\"v\","
                         "\"timeout\":-5}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"version\":\"v\","
                         "\"timeout\":{}}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"version\":\"v\","
                         "\"timeout\":60,\"heartbeat_ms\":-1}", NULL);
  assert_client_refuses (2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"version\":\"v\","
                         "\"timeout\":60,\"heartbeat_ms\":\"2000\"}", NULL);
}

/* Hostile numbers are refused with a message that names the member; the
 * first is the input the fuzzer found (it was once cast to gint64). */
static void
test_handshake_hostile_numbers (void)
{
  const struct { guint steps; const char *header; const char *message; } cases[] = {
    { 0, "{\"t\":\"hello\",\"proto\":8.88889e+19,\"nonce\":\"" NONCE_A "\"}",
      "member “proto”: 8.88889e+19 is out of range" },
    { 0, "{\"t\":\"hello\",\"proto\":1e400,\"nonce\":\"" NONCE_A "\"}",
      "member “proto”: inf is not a finite number" },
    { 0, "{\"t\":\"hello\",\"proto\":1.5,\"nonce\":\"" NONCE_A "\"}",
      "member “proto”: 1.5 is not an integer" },
    { 0, "{\"t\":\"hello\",\"proto\":\"1\",\"nonce\":\"" NONCE_A "\"}",
      "member “proto” is a string, not an integer" },
    { 2, "{\"t\":\"welcome\",\"ncpus\":8.88889e+19,\"node\":\"n\",\"version\":\"v\",\"timeout\":60}",
      "member “ncpus”: 8.88889e+19 is out of range (0 to 65536)" },
    { 2, "{\"t\":\"welcome\",\"ncpus\":4.0,\"node\":\"n\",\"version\":\"v\",\"timeout\":60}",
      "member “ncpus”: 4.0 is not an integer" },
    { 2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"version\":\"v\",\"timeout\":-1e19}",
      "member “timeout”: -1e+19 is out of range (0 to 2147483647)" },
    { 2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"version\":\"v\",\"timeout\":1e400}",
      "member “timeout”: inf is not a finite number" },
    { 2, "{\"t\":\"welcome\",\"ncpus\":4,\"node\":\"n\",\"version\":null,\"timeout\":60}",
      "member “version” is null, not a string" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PpFrame) frame = make_frame (cases[i].header, NULL);
      PpHandshake *side;
      GByteArray *out;
      Pair pair = { 0 };

      pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
      side = cases[i].steps == 0 ? pair.node : pair.client;
      out = cases[i].steps == 0 ? pair.to_client : pair.to_node;
      if (cases[i].steps > 0)
        pair_run_to_auth (&pair);
      g_byte_array_set_size (out, 0);
      g_assert_cmpint (_pp_handshake_feed (side, frame, out, &error), ==, PP_HANDSHAKE_FAILED);
      g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("expected “%s” in “%s”", cases[i].message, error->message);
      pair_clear (&pair);
    }
}

/* Unknown members are ignored, as everywhere in the protocol. */
static void
test_handshake_unknown_members (void)
{
  g_autoptr(PpFrame) hello = make_frame ("{\"t\":\"hello\",\"proto\":1,\"nonce\":\"" NONCE_A "\","
                                         "\"agent\":\"x\",\"future\":[1,{\"a\":null}]}", NULL);
  g_autoptr(PpFrame) welcome = make_frame ("{\"t\":\"welcome\",\"ncpus\":0,\"node\":\"\","
                                           "\"version\":\"9\",\"timeout\":0,\"extra\":true}", NULL);
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  g_assert_cmpint (_pp_handshake_feed (pair.node, hello, pair.to_client, NULL), ==,
                   PP_HANDSHAKE_CONTINUE);
  pair_clear (&pair);

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  pair_run_to_auth (&pair);
  g_assert_cmpint (_pp_handshake_feed (pair.client, welcome, pair.to_node, NULL), ==,
                   PP_HANDSHAKE_DONE);
  g_assert_cmpuint (_pp_handshake_get_ncpus (pair.client), ==, 0);
  g_assert_cmpstr (_pp_handshake_get_node_name (pair.client), ==, "");
  pair_clear (&pair);
}

/* What a node says in "error" reaches the user, but tamed. */
static void
test_handshake_peer_error_message (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) frame = NULL;
  g_autoptr(GString) header = g_string_new ("{\"t\":\"error\",\"code\":\"timeout\",\"message\":\"a\\u001b[31mb\\n");
  Pair pair = { 0 };

  for (guint i = 0; i < 1000; i++)
    g_string_append (header, "é");
  g_string_append (header, "\"}");
  frame = make_frame (header->str, NULL);

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  _pp_handshake_start (pair.client, pair.to_node);
  g_assert_cmpint (_pp_handshake_feed (pair.client, frame, pair.to_node, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "a [31mb é"));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (error->message, -1), <=, 300);
  pair_clear (&pair);

  /* No message at all. */
  g_clear_pointer (&frame, _pp_frame_free);
  g_clear_error (&error);
  frame = make_frame ("{\"t\":\"error\",\"code\":\"auth\"}", NULL);
  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  _pp_handshake_start (pair.client, pair.to_node);
  g_assert_cmpint (_pp_handshake_feed (pair.client, frame, pair.to_node, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_cmpstr (error->message, ==, "authentication failed: wrong secret");
  pair_clear (&pair);
}

/* An "auth" recorded from one session is worthless in the next, and so is
 * a recorded "challenge": both sides pick fresh nonces. */
static void
test_handshake_replay (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) old_challenge = g_byte_array_new ();
  g_autoptr(GByteArray) old_auth = g_byte_array_new ();
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  pair_run_to_auth (&pair);
  g_byte_array_append (old_auth, pair.to_node->data, pair.to_node->len);
  pair_clear (&pair);

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  _pp_handshake_start (pair.client, pair.to_node);
  g_assert_cmpint (feed (pair.node, pair.to_node, pair.to_client, NULL), ==,
                   PP_HANDSHAKE_CONTINUE);
  g_byte_array_append (old_challenge, pair.to_client->data, pair.to_client->len);
  g_assert_cmpint (feed (pair.node, old_auth, pair.to_client, &error), ==, PP_HANDSHAKE_FAILED);
  g_assert_cmpstr (error->message, ==, "authentication failed: wrong secret");
  g_clear_error (&error);
  pair_clear (&pair);

  pair_init (&pair, "s3cret", "s3cret", NULL, NULL);
  _pp_handshake_start (pair.client, pair.to_node);
  g_assert_cmpint (feed (pair.client, old_challenge, pair.to_node, &error), ==,
                   PP_HANDSHAKE_FAILED);
  g_assert_cmpstr (error->message, ==, "the node could not prove the shared secret");
  pair_clear (&pair);
}

static void
test_handshake_channel_binding (void)
{
  g_autoptr(GBytes) a = g_bytes_new_static ("AAAA", 4);
  g_autoptr(GBytes) a2 = g_bytes_new ("AAAA", 4);
  g_autoptr(GBytes) b = g_bytes_new_static ("AAAB", 4);
  g_autoptr(GError) error = NULL;
  Pair pair = { 0 };

  pair_init (&pair, "s3cret", "s3cret", a, a2);
  pair_run (&pair);
  pair_clear (&pair);

  /* A man in the middle terminates TLS twice: the bindings differ. */
  pair_init (&pair, "s3cret", "s3cret", a, b);
  client_refuses (&pair, &error);
  g_assert_cmpstr (error->message, ==, "the node could not prove the shared secret");
  g_clear_error (&error);
  pair_clear (&pair);

  /* TLS on one side only. */
  pair_init (&pair, "s3cret", "s3cret", NULL, b);
  client_refuses (&pair, NULL);
  pair_clear (&pair);
}

static void
test_constant_time_equal (void)
{
  char a[65], b[65];

  g_assert_true (_pp_constant_time_equal ("", ""));
  g_assert_true (_pp_constant_time_equal (NONCE_A, NONCE_A));
  g_assert_false (_pp_constant_time_equal (NONCE_A, NONCE_A "0"));
  g_assert_false (_pp_constant_time_equal ("abc", "ab"));
  g_assert_false (_pp_constant_time_equal ("", "a"));
  g_assert_false (_pp_constant_time_equal (NULL, "a"));
  g_assert_false (_pp_constant_time_equal ("a", NULL));
  g_assert_false (_pp_constant_time_equal (NULL, NULL));

  /* A difference anywhere, of any bit, is seen. */
  for (guint i = 0; i < 64; i++)
    for (guint bit = 0; bit < 7; bit++)
      {
        memcpy (a, NONCE_A, sizeof a);
        memcpy (b, NONCE_A, sizeof b);
        b[i] ^= 1 << bit;
        g_assert_false (_pp_constant_time_equal (a, b));
        g_assert_true (_pp_constant_time_equal (a, a));
      }
}

static void
test_random_bytes (void)
{
  guint8 a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) first = g_byte_array_new ();
  g_autoptr(GByteArray) second = g_byte_array_new ();
  g_autoptr(PpHandshake) c1 = _pp_handshake_new (PP_HANDSHAKE_CLIENT, "", NULL);
  g_autoptr(PpHandshake) c2 = _pp_handshake_new (PP_HANDSHAKE_CLIENT, "", NULL);
  g_autoptr(PpFrame) h1 = NULL;
  g_autoptr(PpFrame) h2 = NULL;
  guint8 big[100000];

  g_assert_true (_pp_random_bytes (a, sizeof a, &error));
  g_assert_no_error (error);
  g_assert_true (_pp_random_bytes (b, sizeof b, &error));
  g_assert_true (memcmp (a, b, sizeof a) != 0);
  g_assert_true (memcmp (a, zero, sizeof a) != 0);
  g_assert_true (_pp_random_bytes (a, 0, &error));
  /* More than one getrandom() call may return (partial reads). */
  g_assert_true (_pp_random_bytes (big, sizeof big, &error));
  g_assert_true (memcmp (big + sizeof big - 32, zero, 32) != 0);

  _pp_handshake_start (c1, first);
  _pp_handshake_start (c2, second);
  h1 = pop_frame (first);
  h2 = pop_frame (second);
  g_assert_cmpstr (_pp_frame_get_string (h1, "nonce"), !=, _pp_frame_get_string (h2, "nonce"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/handshake/success", test_handshake_success);
  g_test_add_func ("/handshake/wire-format", test_handshake_wire_format);
  g_test_add_func ("/handshake/empty-secret", test_handshake_empty_secret);
  g_test_add_func ("/handshake/node-refuses-client", test_handshake_node_refuses_client);
  g_test_add_func ("/handshake/wrong-secret", test_handshake_wrong_secret);
  g_test_add_func ("/handshake/version", test_handshake_version);
  g_test_add_func ("/handshake/unexpected-frames", test_handshake_unexpected_frames);
  g_test_add_func ("/handshake/after-done", test_handshake_after_done);
  g_test_add_func ("/handshake/body", test_handshake_body);
  g_test_add_func ("/handshake/garbage-members", test_handshake_garbage_members);
  g_test_add_func ("/handshake/hostile-numbers", test_handshake_hostile_numbers);
  g_test_add_func ("/handshake/unknown-members", test_handshake_unknown_members);
  g_test_add_func ("/handshake/peer-error-message", test_handshake_peer_error_message);
  g_test_add_func ("/handshake/replay", test_handshake_replay);
  g_test_add_func ("/handshake/channel-binding", test_handshake_channel_binding);
  g_test_add_func ("/handshake/constant-time-equal", test_constant_time_equal);
  g_test_add_func ("/handshake/random-bytes", test_random_bytes);

  return g_test_run ();
}

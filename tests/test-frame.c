/* test-frame.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <pp-glib.h>

#include "pp-flat-json-private.h"
#include "pp-frame-private.h"

static GByteArray *
encode (const char *header,
        const char *body)
{
  GByteArray *out = g_byte_array_new ();

  _pp_frame_append (out, header, strlen (header), body, body ? strlen (body) : 0);
  return out;
}

static void
push_prefix (PpFrameReader *reader,
             guint32        header_len,
             guint32        body_len)
{
  guint8 prefix[8] = {
    header_len >> 24, header_len >> 16, header_len >> 8, header_len,
    body_len >> 24, body_len >> 16, body_len >> 8, body_len,
  };

  _pp_frame_reader_push (reader, prefix, sizeof prefix);
}

static void
test_frame_roundtrip (void)
{
  g_autoptr(GByteArray) out = encode ("{\"t\":\"job\",\"id\":7}", "payload");
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (1024);
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) frame = NULL;

  g_assert_cmpuint (out->len, ==, 8 + 18 + 7);
  _pp_frame_reader_push (reader, out->data, out->len);
  frame = _pp_frame_reader_pop (reader, &error);
  g_assert_no_error (error);
  g_assert_nonnull (frame);
  g_assert_cmpstr (_pp_frame_get_type (frame), ==, "job");
  g_assert_cmpint (_pp_frame_get_int (frame, "id", -1), ==, 7);
  g_assert_cmpmem (g_bytes_get_data (frame->body, NULL), g_bytes_get_size (frame->body), "payload", 7);
  g_assert_null (_pp_frame_reader_pop (reader, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (_pp_frame_reader_get_pending (reader), ==, 0);
}

static void
test_frame_json_header (void)
{
  g_autoptr(JsonObject) header = json_object_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (1024);
  g_autoptr(PpFrame) frame = NULL;

  json_object_set_string_member (header, "t", "def");
  json_object_set_string_member (header, "name", "quote\"and\\slash\n");
  _pp_frame_append_json (out, header, NULL, 0);
  _pp_frame_reader_push (reader, out->data, out->len);
  frame = _pp_frame_reader_pop (reader, NULL);
  g_assert_nonnull (frame);
  g_assert_cmpstr (_pp_frame_get_string (frame, "name"), ==, "quote\"and\\slash\n");
  g_assert_cmpuint (g_bytes_get_size (frame->body), ==, 0);
}

/* Frames split at every possible byte, and several in one push. */
static void
test_frame_byte_by_byte (void)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (1024);
  guint seen = 0;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *header = g_strdup_printf ("{\"t\":\"res\",\"id\":%u}", i);
      _pp_frame_append (out, header, strlen (header), "xyz", i % 4);
    }
  for (guint i = 0; i < out->len; i++)
    {
      g_autoptr(GError) error = NULL;
      PpFrame *frame;

      _pp_frame_reader_push (reader, out->data + i, 1);
      while ((frame = _pp_frame_reader_pop (reader, &error)) != NULL)
        {
          g_assert_cmpint (_pp_frame_get_int (frame, "id", -1), ==, seen);
          g_assert_cmpuint (g_bytes_get_size (frame->body), ==, seen % 4);
          seen++;
          _pp_frame_free (frame);
        }
      g_assert_no_error (error);
    }
  g_assert_cmpuint (seen, ==, 5);
}

static void
test_frame_truncated (void)
{
  g_autoptr(GByteArray) out = encode ("{\"t\":\"job\"}", "body");
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (1024);
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) frame = NULL;

  _pp_frame_reader_push (reader, out->data, out->len - 1);
  g_assert_null (_pp_frame_reader_pop (reader, &error));
  g_assert_no_error (error);
  _pp_frame_reader_push (reader, out->data + out->len - 1, 1);
  frame = _pp_frame_reader_pop (reader, &error);
  g_assert_no_error (error);
  g_assert_nonnull (frame);
}

/* A huge length is refused from the prefix alone, before any body arrives
 * and before anything is allocated for it. */
static void
test_frame_oversized (void)
{
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (1024);
  g_autoptr(PpFrameReader) reader2 = _pp_frame_reader_new (1024);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  push_prefix (reader, 20, 0xffffffff);
  g_assert_null (_pp_frame_reader_pop (reader, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_TOO_LARGE);

  push_prefix (reader2, PP_FRAME_MAX_HEADER + 1, 0);
  g_assert_null (_pp_frame_reader_pop (reader2, &error2));
  g_assert_error (error2, PP_ERROR, PP_ERROR_TOO_LARGE);
}

static void
assert_malformed (const char *header)
{
  g_autoptr(GByteArray) out = encode (header, NULL);
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (1024);
  g_autoptr(GError) error = NULL;

  _pp_frame_reader_push (reader, out->data, out->len);
  g_assert_null (_pp_frame_reader_pop (reader, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
}

static void
test_frame_garbage (void)
{
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (1024);
  g_autoptr(GError) error = NULL;

  assert_malformed ("not json at all");
  assert_malformed ("{\"t\": unterminated");
  assert_malformed ("[1, 2, 3]");
  assert_malformed ("{\"id\": 1}");
  assert_malformed ("{}");

  push_prefix (reader, 1, 0);
  _pp_frame_reader_push (reader, "{", 1);
  g_assert_null (_pp_frame_reader_pop (reader, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
}

/* Random bytes: every outcome is a frame, a need for more, or an error. */
static void
test_frame_random (void)
{
  GRand *rand = g_rand_new_with_seed (1234);

  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (4096);
      guint8 buf[64];
      guint len = g_rand_int_range (rand, 0, sizeof buf);
      g_autoptr(GError) error = NULL;
      PpFrame *frame;

      for (guint i = 0; i < len; i++)
        buf[i] = g_rand_int_range (rand, 0, 256);
      if (len >= 8 && round % 2 == 0)
        {
          buf[0] = buf[1] = buf[4] = buf[5] = buf[6] = 0;
          buf[8 % len] = '{';
        }
      _pp_frame_reader_push (reader, buf, len);
      while ((frame = _pp_frame_reader_pop (reader, &error)) != NULL)
        _pp_frame_free (frame);
    }
  g_rand_free (rand);
}

/* The fast path either declines or agrees with json-glib, member by member. */
static void
assert_same_as_json_glib (const char *text)
{
  g_autoptr(JsonObject) flat = _pp_flat_json_parse (text, strlen (text));
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) flat_node = NULL;
  g_autofree char *flat_text = NULL;
  g_autofree char *reference = NULL;

  if (flat == NULL)
    return;
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  flat_node = json_node_init_object (json_node_alloc (), flat);
  flat_text = json_to_string (flat_node, FALSE);
  reference = json_to_string (json_parser_get_root (parser), FALSE);
  g_assert_cmpstr (flat_text, ==, reference);
}

static void
test_frame_flat_json (void)
{
  const char *accepted[] = {
    "{}", " { } ", "{\"t\":\"job\",\"id\":7,\"key\":\"ab\",\"fmt\":\"pickle\"}",
    "{\"a\":-0,\"b\":1.5e3,\"c\":-2.25E-2,\"d\":true,\"e\":false,\"f\":null}",
    "{\"u\":\"h\u00e9llo \xc3\xa9\"}", "{\"x\" :\t1 ,\n\"y\": 2}", "{\"n\":123456789012345678}",
    "{\"dup\":1,\"dup\":2}",
  };
  const char *declined[] = {
    "", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":\"es\\\"c\"}",
    "{\"a\":[1]}", "{\"a\":{}}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}",
    "{\"a\":tru}", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{a:1}", "{\"a\":1234567890123456789012}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr(JsonObject) object = _pp_flat_json_parse (accepted[i], strlen (accepted[i]));

      if (strstr (accepted[i], "\\u") == NULL)
        g_assert_nonnull (object);
      assert_same_as_json_glib (accepted[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (declined); i++)
    {
      g_autoptr(JsonObject) object = _pp_flat_json_parse (declined[i], strlen (declined[i]));

      g_assert_null (object);
    }
}

/* Random mutations of real headers: whatever the fast path accepts, json-glib
 * reads the same. */
static void
test_frame_flat_json_random (void)
{
  const char *seeds[] = {
    "{\"t\":\"res\",\"id\":12,\"fmt\":\"json\",\"time\":0.000123,\"ok\":true}",
    "{\"t\":\"res\",\"id\":3,\"ok\":false,\"etype\":\"ValueError\",\"emsg\":\"bad\",\"olen\":4}",
  };
  const char alphabet[] = "{}[]\":,.-+eE0123456789 tfnrul\\\x01\xc3\xa9";
  GRand *rand = g_rand_new_with_seed (42);

  for (guint round = 0; round < 20000; round++)
    {
      g_autofree char *text = g_strdup (seeds[round % G_N_ELEMENTS (seeds)]);
      gsize len = strlen (text);

      for (guint k = g_rand_int_range (rand, 1, 4); k > 0; k--)
        text[g_rand_int_range (rand, 0, len)] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      assert_same_as_json_glib (text);
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/frame/roundtrip", test_frame_roundtrip);
  g_test_add_func ("/frame/json-header", test_frame_json_header);
  g_test_add_func ("/frame/byte-by-byte", test_frame_byte_by_byte);
  g_test_add_func ("/frame/truncated", test_frame_truncated);
  g_test_add_func ("/frame/oversized", test_frame_oversized);
  g_test_add_func ("/frame/garbage", test_frame_garbage);
  g_test_add_func ("/frame/random", test_frame_random);
  g_test_add_func ("/frame/flat-json", test_frame_flat_json);
  g_test_add_func ("/frame/flat-json-random", test_frame_flat_json_random);

  return g_test_run ();
}

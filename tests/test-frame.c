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
    "{\"n\":9223372036854775807}", "{\"n\":-9223372036854775808}", "{\"a\":1e400,\"b\":-1e400}",
    "{\"a\":1e-400,\"b\":8.88889e+19,\"c\":-1e19}",
    "{\"dup\":1,\"dup\":2}",
  };
  const char *declined[] = {
    "", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":\"es\\\"c\"}",
    "{\"a\":[1]}", "{\"a\":{}}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}",
    "{\"a\":tru}", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{a:1}", "{\"a\":1234567890123456789012}",
    "{\"a\":9223372036854775808}", "{\"a\":-9223372036854775809}", "{\"a\":0x10}", "{\"a\":'s'}",
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

static PpFrame *
decode (const char  *header,
        GError     **error)
{
  g_autoptr(GByteArray) out = encode (header, NULL);
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (1024);

  _pp_frame_reader_push (reader, out->data, out->len);
  return _pp_frame_reader_pop (reader, error);
}

/* @value in a flat header (the fast path) and beside an array (json-glib). */
static void
decode_both (const char *value,
             PpFrame    *frames[2])
{
  g_autofree char *flat = g_strdup_printf ("{\"t\":\"res\",\"v\":%s}", value);
  g_autofree char *nested = g_strdup_printf ("{\"t\":\"res\",\"x\":[],\"v\":%s}", value);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  frames[0] = decode (flat, &error);
  g_assert_no_error (error);
  frames[1] = decode (nested, &error2);
  g_assert_no_error (error2);
}

static void
assert_refused (PpFrame    *frame,
                gboolean    ok,
                GError     *error,
                const char *message)
{
  g_assert_false (ok);
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  if (strcmp (error->message, message) != 0)
    g_error ("expected “%s”, got “%s”", message, error->message);
}

/* Every string of a decoded header is UTF-8 and means what JSON says:
 * json-glib alone reads "\271" as the byte 0xb9, "\c" as "c" and a lone
 * surrogate as bytes that are not UTF-8, which a node then echoed into an
 * error frame nobody could decode (found by fuzz-handshake). */
static void
test_frame_strings_hostile (void)
{
  const char * const headers[] = {
    "{\"t\":\"a\\271b\"}", "{\"t\":\"a\\cb\"}", "{\"t\":\"a\\2\"}",
    "{\"t\":\"job\",\"key\":\"\\ud800x\"}", "{\"t\":\"job\",\"a\":[\"\\ud83d\"]}",
    "{\"t\":\"job\",\"\\udbff\":1}", "{\"t\":\"job\",\"o\":{\"k\":\"\\x41\"}}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) pair = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    assert_malformed (headers[i]);

  /* Real escapes and surrogate pairs are fine. */
  pair = decode ("{\"t\":\"job\",\"s\":\"\\ud83d\\ude00 \\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}",
                 &error);
  g_assert_no_error (error);
  g_assert_cmpstr (_pp_frame_get_string (pair, "s"), ==, "😀 \"\\/\b\f\n\r\té");
}

/* Each hostile value where an integer belongs, on both decoding paths: the
 * error names the member and says what is wrong. An integer is written as
 * one: 7.0 and 1e3 are refused like 1.5. 8.88889e+19 is the input
 * the fuzzer found (it was cast to gint64: undefined behaviour). */
static void
test_frame_int_hostile (void)
{
  const struct { const char *value; const char *message; } cases[] = {
    { "8.88889e+19", "member “v”: 8.88889e+19 is out of range (0 to 9223372036854775807)" },
    { "1e400", "member “v”: inf is not a finite number" },
    { "-1e400", "member “v”: -inf is not a finite number" },
    { "-1e19", "member “v”: -1e+19 is out of range (0 to 9223372036854775807)" },
    { "9223372036854775808.0", "member “v”: 9.2233720368547758e+18 is out of range (0 to 9223372036854775807)" },
    { "-1", "member “v”: -1 is out of range (0 to 9223372036854775807)" },
    { "1.5", "member “v”: 1.5 is not an integer" },
    { "1e-400", "member “v”: 0.0 is not an integer" },
    { "-0.0", "member “v”: -0.0 is not an integer" },
    { "7.0", "member “v”: 7.0 is not an integer" },
    { "1e3", "member “v”: 1000.0 is not an integer" },
    { "2.5e1", "member “v”: 25.0 is not an integer" },
    { "\"12\"", "member “v” is a string, not an integer" },
    { "true", "member “v” is a boolean, not an integer" },
    { "null", "member “v” is null, not an integer" },
    { "{}", "member “v” is an object, not an integer" },
    { "[7]", "member “v” is an array, not an integer" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PpFrame *frames[2] = { NULL, NULL };

      /* Objects and arrays are not flat: both frames go through json-glib. */
      decode_both (cases[i].value, frames);
      for (guint k = 0; k < 2; k++)
        {
          g_autoptr(PpFrame) frame = frames[k];
          g_autoptr(GError) error = NULL;
          gint64 value = 42;
          gboolean ok = _pp_frame_get_int64 (frame, "v", 0, G_MAXINT64, &value, &error);

          assert_refused (frame, ok, error, cases[i].message);
          g_assert_cmpint (value, ==, 42);
          g_assert_cmpint (_pp_frame_get_int (frame, "v", -7), ==, i == 5 ? -1 : -7);
        }
    }
}

static void
test_frame_int_accepted (void)
{
  const struct { const char *value; gint64 expected; } cases[] = {
    { "0", 0 }, { "-0", 0 }, { "7", 7 }, { "9007199254740993", 9007199254740993 },
    { "9223372036854775807", G_MAXINT64 }, { "-9223372036854775808", G_MININT64 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PpFrame *frames[2] = { NULL, NULL };

      decode_both (cases[i].value, frames);
      for (guint k = 0; k < 2; k++)
        {
          g_autoptr(PpFrame) frame = frames[k];
          g_autoptr(GError) error = NULL;
          gint64 value = 42;

          g_assert_true (_pp_frame_get_int64 (frame, "v", G_MININT64, G_MAXINT64, &value, &error));
          g_assert_no_error (error);
          g_assert_cmpint (value, ==, cases[i].expected);
        }
    }
}

/* json-glib wraps an integer wider than 64 bits (2⁶⁴ + 1 reads as 1, 2⁶³ as
 * -2⁶³) and takes hex and leading zeros: the decoder refuses them all, on
 * either path, before any accessor sees a wrong value. */
static void
test_frame_int_wide (void)
{
  const char *values[] = {
    "9223372036854775808", "-9223372036854775809", "18446744073709551615",
    "18446744073709551617", "99999999999999999999", "100000000000000000000000000000",
    "0x10", "-0x5", "05", "-05",
  };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *flat = g_strdup_printf ("{\"t\":\"res\",\"v\":%s}", values[i]);
      g_autofree char *nested = g_strdup_printf ("{\"t\":\"res\",\"x\":{\"y\":[%s]}}", values[i]);
      g_autofree char *quoted = g_strdup_printf ("{'t':'res','s':\"it's\",'v':%s}", values[i]);
      const char *headers[] = { flat, nested, quoted };

      for (guint k = 0; k < G_N_ELEMENTS (headers); k++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(PpFrame) frame = decode (headers[k], &error);

          g_assert_null (frame);
          g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
          g_assert_nonnull (strstr (error->message, values[i]));
        }
    }
}

/* Digits inside strings are not numbers, whichever quote they are in. */
static void
test_frame_int_in_strings (void)
{
  const char *headers[] = {
    "{\"t\":\"res\",\"x\":[],\"s\":\"99999999999999999999\"}",
    "{\"t\":\"res\",\"x\":[],\"s\":\"a\\\"99999999999999999999\"}",
    "{'t':'res','x':[],'s':'99999999999999999999 \"'}",
    "{\"t\":\"res\",\"x\":[],\"e99999999999999999999\":1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PpFrame) frame = decode (headers[i], &error);

      g_assert_no_error (error);
      g_assert_nonnull (frame);
    }
}

static void
test_frame_double (void)
{
  const struct { const char *value; const char *message; double expected; } cases[] = {
    { "0.25", NULL, 0.25 }, { "3", NULL, 3 }, { "1e-400", NULL, 0 }, { "1e9", NULL, 1e9 },
    { "1e400", "member “v”: inf is not a finite number", 0 },
    { "-1e400", "member “v”: -inf is not a finite number", 0 },
    { "-0.5", "member “v”: -0.5 is out of range (0 to 1000000000)", 0 },
    { "1.5e9", "member “v”: 1500000000.0 is out of range (0 to 1000000000)", 0 },
    { "-1", "member “v”: -1 is out of range (0 to 1000000000)", 0 },
    { "\"0.5\"", "member “v” is a string, not a number", 0 },
    { "false", "member “v” is a boolean, not a number", 0 },
    { "null", "member “v” is null, not a number", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PpFrame *frames[2] = { NULL, NULL };

      decode_both (cases[i].value, frames);
      for (guint k = 0; k < 2; k++)
        {
          g_autoptr(PpFrame) frame = frames[k];
          g_autoptr(GError) error = NULL;
          double value = 42;
          gboolean ok = _pp_frame_get_double (frame, "v", 0, 1e9, &value, &error);

          if (cases[i].message != NULL)
            assert_refused (frame, ok, error, cases[i].message);
          else
            {
              g_assert_no_error (error);
              g_assert_cmpfloat (value, ==, cases[i].expected);
            }
        }
    }
}

static void
test_frame_uint_bool_str (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpFrame) frame =
    decode ("{\"t\":\"welcome\",\"n\":4096,\"big\":4097,\"neg\":-1,\"wide\":4294967296,"
            "\"b\":true,\"nb\":1,\"s\":\"x\",\"ns\":12}", &error);
  const char *string = NULL;
  gboolean flag = FALSE;
  guint value = 0;

  g_assert_no_error (error);
  g_assert_true (_pp_frame_get_uint (frame, "n", 4096, &value, NULL));
  g_assert_cmpuint (value, ==, 4096);
  g_assert_false (_pp_frame_get_uint (frame, "big", 4096, &value, &error));
  g_assert_cmpstr (error->message, ==, "member “big”: 4097 is out of range (0 to 4096)");
  g_clear_error (&error);
  g_assert_false (_pp_frame_get_uint (frame, "neg", G_MAXUINT, &value, &error));
  g_assert_cmpstr (error->message, ==, "member “neg”: -1 is out of range (0 to 4294967295)");
  g_clear_error (&error);
  g_assert_false (_pp_frame_get_uint (frame, "wide", G_MAXUINT, &value, &error));
  g_assert_cmpstr (error->message, ==, "member “wide”: 4294967296 is out of range (0 to 4294967295)");
  g_clear_error (&error);
  g_assert_cmpuint (value, ==, 4096);

  g_assert_true (_pp_frame_get_bool (frame, "b", &flag, NULL));
  g_assert_true (flag);
  g_assert_false (_pp_frame_get_bool (frame, "nb", &flag, &error));
  g_assert_cmpstr (error->message, ==, "member “nb” is a number, not true or false");
  g_clear_error (&error);

  g_assert_true (_pp_frame_get_str (frame, "s", &string, NULL));
  g_assert_cmpstr (string, ==, "x");
  g_assert_false (_pp_frame_get_str (frame, "ns", &string, &error));
  g_assert_cmpstr (error->message, ==, "member “ns” is a number, not a string");
  g_clear_error (&error);

  g_assert_false (_pp_frame_has (frame, "missing"));
  g_assert_false (_pp_frame_get_uint (frame, "missing", 1, &value, &error));
  g_assert_error (error, PP_ERROR, PP_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "member “missing” is missing");
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
  g_test_add_func ("/frame/int/hostile", test_frame_int_hostile);
  g_test_add_func ("/frame/strings/hostile", test_frame_strings_hostile);
  g_test_add_func ("/frame/int/accepted", test_frame_int_accepted);
  g_test_add_func ("/frame/int/wide", test_frame_int_wide);
  g_test_add_func ("/frame/int/in-strings", test_frame_int_in_strings);
  g_test_add_func ("/frame/double", test_frame_double);
  g_test_add_func ("/frame/uint-bool-str", test_frame_uint_bool_str);

  return g_test_run ();
}

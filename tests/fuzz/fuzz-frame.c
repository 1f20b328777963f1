/* fuzz-frame.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pp-error.h"
#include "pp-frame-private.h"

/* libFuzzer target for the frame decoder. The first input byte chooses the
 * limits, how the rest is cut into reads and which of the reader's two
 * input paths takes them; the rest is the byte stream. Each decoded frame is
 * checked against an independent walk of the length prefixes. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_BODY (64 * 1024)

typedef struct
{
  const guint8 *data;
  gsize         size;
  gsize         pos;
  gsize         max_header;
  gsize         max_body;
} Walker;

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* A checked read either gives a value that fits or an error that names the
 * member, and leaves the value alone. */
static void
check_failure (gboolean      ok,
               const GError *error,
               const char   *member)
{
  g_autofree char *quoted = g_strdup_printf ("member “%s”", member);

  g_assert (ok == (error == NULL));
  g_assert (ok || strstr (error->message, quoted) != NULL);
}

static void
check_accessors (PpFrame *frame)
{
  static const char * const members[] = { "id", "t", "time", "ok", "olen", "ncpus", "n" };

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      const char *m = members[i];
      g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
      gint64 i64 = -42;
      guint u = 4242;
      double d = -42;
      gboolean b = 42;
      const char *s = NULL;
      gboolean ok;

      ok = _pp_frame_get_int64 (frame, m, -1000, 1000, &i64, &e1);
      check_failure (ok, e1, m);
      g_assert (ok ? i64 >= -1000 && i64 <= 1000 : i64 == -42);
      ok = _pp_frame_get_uint (frame, m, 4096, &u, &e2);
      check_failure (ok, e2, m);
      g_assert (ok ? u <= 4096 : u == 4242);
      ok = _pp_frame_get_double (frame, m, 0, 1e9, &d, &e3);
      check_failure (ok, e3, m);
      g_assert (ok ? d >= 0 && d <= 1e9 : d == -42);
      ok = _pp_frame_get_bool (frame, m, &b, &e4);
      check_failure (ok, e4, m);
      g_assert (ok ? b == TRUE || b == FALSE : b == 42);
      ok = _pp_frame_get_str (frame, m, &s, &e5);
      check_failure (ok, e5, m);
      g_assert (ok == (s != NULL));
      g_assert (_pp_frame_has (frame, m) || e1 != NULL);
    }
}

/* The frame the reader just returned must be the next one in the input. */
static void
check_frame (Walker  *walker,
             PpFrame *frame)
{
  const guint8 *p = walker->data + walker->pos;
  guint32 header_len, body_len;

  g_assert (walker->size - walker->pos >= PP_FRAME_PREFIX_SIZE);
  header_len = be32 (p);
  body_len = be32 (p + 4);
  g_assert (header_len >= PP_FRAME_MIN_HEADER && header_len <= walker->max_header);
  g_assert (body_len <= walker->max_body);
  g_assert (walker->size - walker->pos - PP_FRAME_PREFIX_SIZE >= (gsize) header_len + body_len);
  g_assert (g_bytes_get_size (frame->body) == body_len);
  g_assert (body_len == 0 ||
            memcmp (g_bytes_get_data (frame->body, NULL),
                    p + PP_FRAME_PREFIX_SIZE + header_len, body_len) == 0);
  g_assert (json_object_has_member (frame->header, "t"));
  walker->pos += PP_FRAME_PREFIX_SIZE + header_len + body_len;

  /* The accessors take anything. */
  (void) _pp_frame_get_type (frame);
  (void) _pp_frame_get_string (frame, "key");
  (void) _pp_frame_get_int (frame, "id", -1);
  (void) _pp_frame_get_int (frame, "t", -1);
  check_accessors (frame);
}

/* Pops every complete frame; FALSE once the stream is found malformed. */
static gboolean
pop_all (PpFrameReader *reader,
         Walker        *walker)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PpFrame) frame = _pp_frame_reader_pop (reader, &error);

      if (frame == NULL)
        {
          /* A refusal is logged and may be sent back: UTF-8. */
          g_assert (error == NULL || (error->domain == PP_ERROR &&
                                      g_utf8_validate (error->message, -1, NULL)));
          return error == NULL;
        }
      check_frame (walker, frame);
    }
}

static void
feed (PpFrameReader *reader,
      const guint8  *data,
      gsize          len,
      gboolean       via_space)
{
  while (via_space && len > 0)
    {
      gsize space;
      guint8 *buffer = _pp_frame_reader_get_space (reader, &space);
      gsize n = MIN (space, len);

      memcpy (buffer, data, n);
      _pp_frame_reader_commit (reader, n);
      data += n;
      len -= n;
    }
  if (!via_space)
    _pp_frame_reader_push (reader, data, len);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(PpFrameReader) reader = NULL;
  Walker walker = { 0 };
  gsize chunk;
  guint8 mode;

  if (size < 1)
    return 0;
  mode = data[0];
  walker.data = data + 1;
  walker.size = size - 1;
  walker.max_header = PP_FRAME_MAX_HEADER;
  walker.max_body = MAX_BODY;

  reader = _pp_frame_reader_new (MAX_BODY);
  if (mode & 0x80)
    {
      /* As before authentication. */
      walker.max_header = 4096;
      walker.max_body = 0;
      _pp_frame_reader_set_limits (reader, walker.max_header, walker.max_body);
    }
  chunk = (mode & 0x3f) + 1;

  for (gsize off = 0; off < walker.size; off += chunk)
    {
      feed (reader, walker.data + off, MIN (chunk, walker.size - off), mode & 0x40);
      if (!pop_all (reader, &walker))
        return 0;
    }
  /* Whatever was not a frame is still pending, and it is not a whole one. */
  g_assert (_pp_frame_reader_get_pending (reader) == walker.size - walker.pos);
  if (walker.size - walker.pos >= PP_FRAME_PREFIX_SIZE)
    {
      const guint8 *p = walker.data + walker.pos;

      g_assert (walker.size - walker.pos - PP_FRAME_PREFIX_SIZE <
                (gsize) be32 (p) + be32 (p + 4));
    }

  return 0;
}

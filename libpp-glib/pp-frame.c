/* pp-frame.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "pp-error.h"
#include "pp-flat-json-private.h"
#include "pp-frame-private.h"

/* The frame codec shared by worker pipes and TCP: an 8-byte prefix with the
 * big-endian lengths of a JSON header and a binary body. Lengths are checked
 * before any buffer grows to hold them. */

#define READ_CHUNK (64 * 1024)

struct _PpFrameReader
{
  GByteArray *buffer;
  gsize       pos;
  gsize       max_header;
  gsize       max_body;
  JsonParser *parser;
};

void
_pp_frame_free (PpFrame *frame)
{
  if (frame == NULL)
    return;
  g_clear_pointer (&frame->header, json_object_unref);
  g_clear_pointer (&frame->body, g_bytes_unref);
  g_free (frame);
}

const char *
_pp_frame_get_string (PpFrame    *frame,
                      const char *member)
{
  JsonNode *node = json_object_get_member (frame->header, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

const char *
_pp_frame_get_type (PpFrame *frame)
{
  return _pp_frame_get_string (frame, "t");
}

/* Numbers ------------------------------------------------------------------ */

gboolean
_pp_frame_has (PpFrame    *frame,
               const char *member)
{
  return json_object_has_member (frame->header, member);
}

static JsonNode *
get_member (PpFrame     *frame,
            const char  *member,
            GError     **error)
{
  JsonNode *node = json_object_get_member (frame->header, member);

  if (node == NULL)
    g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "member “%s” is missing", member);
  return node;
}

static GType
value_type (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
}

static gboolean
is_number (JsonNode *node)
{
  return value_type (node) == G_TYPE_INT64 || value_type (node) == G_TYPE_DOUBLE;
}

static gboolean
wrong_type (const char  *member,
            JsonNode    *node,
            const char  *expected,
            GError     **error)
{
  const char *what = JSON_NODE_HOLDS_OBJECT (node) ? "an object" :
                     JSON_NODE_HOLDS_ARRAY (node) ? "an array" :
                     JSON_NODE_HOLDS_NULL (node) ? "null" :
                     value_type (node) == G_TYPE_STRING ? "a string" :
                     value_type (node) == G_TYPE_BOOLEAN ? "a boolean" : "a number";

  g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "member “%s” is %s, not %s",
               member, what, expected);
  return FALSE;
}

/* As short as reads back the same ("1.5", "8.88889e+19" stays precise). */
static const char *
format_double (char   *buffer,
               double  value)
{
  g_ascii_formatd (buffer, G_ASCII_DTOSTR_BUF_SIZE, "%.15g", value);
  if (isfinite (value) && g_ascii_strtod (buffer, NULL) != value)
    g_ascii_formatd (buffer, G_ASCII_DTOSTR_BUF_SIZE, "%.17g", value);
  return buffer;
}

static gboolean
bad_number (const char  *member,
            JsonNode    *node,
            const char  *problem,
            GError     **error)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *text = NULL;

  if (value_type (node) == G_TYPE_INT64)
    text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  else if (strpbrk (format_double (buffer, json_node_get_double (node)), ".eni") == NULL)
    text = g_strconcat (buffer, ".0", NULL);  /* a double: 1.0, not 1 */
  else
    text = g_strdup (buffer);
  g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "member “%s”: %s %s", member, text, problem);
  return FALSE;
}

static gboolean
out_of_range (const char  *member,
              JsonNode    *node,
              gint64       min,
              gint64       max,
              GError     **error)
{
  g_autofree char *problem = g_strdup_printf ("is out of range (%" G_GINT64_FORMAT " to %"
                                              G_GINT64_FORMAT ")", min, max);

  return bad_number (member, node, problem, error);
}

/* Never casts a double that does not fit: that is undefined behaviour. */
gboolean
_pp_frame_get_int64 (PpFrame     *frame,
                     const char  *member,
                     gint64       min,
                     gint64       max,
                     gint64      *value,
                     GError     **error)
{
  JsonNode *node = get_member (frame, member, error);
  gint64 v;

  if (node == NULL)
    return FALSE;
  if (!is_number (node))
    return wrong_type (member, node, "an integer", error);
  if (value_type (node) == G_TYPE_INT64)
    v = json_node_get_int (node);
  else
    {
      double d = json_node_get_double (node);

      if (!isfinite (d))
        return bad_number (member, node, "is not a finite number", error);
      /* Within -2⁶³ ≤ d < 2⁶³ (both exact as doubles) the cast is defined;
       * a number in range but written with a fraction or an exponent is
       * not an integer, even 1.0. */
      if (!(d >= -0x1p63 && d < 0x1p63) || (gint64) d < min || (gint64) d > max)
        return out_of_range (member, node, min, max, error);
      return bad_number (member, node, "is not an integer", error);
    }
  if (v < min || v > max)
    return out_of_range (member, node, min, max, error);
  *value = v;
  return TRUE;
}

gboolean
_pp_frame_get_uint (PpFrame     *frame,
                    const char  *member,
                    guint        max,
                    guint       *value,
                    GError     **error)
{
  gint64 v;

  if (!_pp_frame_get_int64 (frame, member, 0, max, &v, error))
    return FALSE;
  *value = v;
  return TRUE;
}

gboolean
_pp_frame_get_double (PpFrame     *frame,
                      const char  *member,
                      double       min,
                      double       max,
                      double      *value,
                      GError     **error)
{
  JsonNode *node = get_member (frame, member, error);
  char low[G_ASCII_DTOSTR_BUF_SIZE], high[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *range = NULL;
  double d;

  if (node == NULL)
    return FALSE;
  if (!is_number (node))
    return wrong_type (member, node, "a number", error);
  d = json_node_get_double (node);
  if (!isfinite (d))
    return bad_number (member, node, "is not a finite number", error);
  if (d < min || d > max)
    {
      range = g_strdup_printf ("is out of range (%s to %s)",
                               format_double (low, min), format_double (high, max));
      return bad_number (member, node, range, error);
    }
  *value = d;
  return TRUE;
}

gboolean
_pp_frame_get_bool (PpFrame     *frame,
                    const char  *member,
                    gboolean    *value,
                    GError     **error)
{
  JsonNode *node = get_member (frame, member, error);

  if (node == NULL)
    return FALSE;
  if (value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (member, node, "true or false", error);
  *value = json_node_get_boolean (node);
  return TRUE;
}

gboolean
_pp_frame_get_str (PpFrame     *frame,
                   const char  *member,
                   const char **value,
                   GError     **error)
{
  JsonNode *node = get_member (frame, member, error);

  if (node == NULL)
    return FALSE;
  if (value_type (node) != G_TYPE_STRING)
    return wrong_type (member, node, "a string", error);
  *value = json_node_get_string (node);
  return TRUE;
}

/* For frames this process trusts (its own, in tests): @fallback for a
 * missing member or anything but a 64-bit integer. */
gint64
_pp_frame_get_int (PpFrame    *frame,
                   const char *member,
                   gint64      fallback)
{
  gint64 value = fallback;

  if (!_pp_frame_get_int64 (frame, member, G_MININT64, G_MAXINT64, &value, NULL))
    return fallback;
  return value;
}

static void
put_be32 (guint8  *p,
          guint32  v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint32
get_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* Appends one whole frame to @out, so that it can go out in one write. */
void
_pp_frame_append (GByteArray *out,
                  const char *header,
                  gsize       header_len,
                  const void *body,
                  gsize       body_len)
{
  guint8 prefix[PP_FRAME_PREFIX_SIZE];

  g_assert (header_len >= PP_FRAME_MIN_HEADER && header_len <= PP_FRAME_MAX_HEADER);
  g_assert (body_len <= G_MAXUINT32);

  put_be32 (prefix, header_len);
  put_be32 (prefix + 4, body_len);
  g_byte_array_append (out, prefix, sizeof prefix);
  g_byte_array_append (out, (const guint8 *) header, header_len);
  if (body_len > 0)
    g_byte_array_append (out, body, body_len);
}

void
_pp_frame_append_json (GByteArray *out,
                       JsonObject *header,
                       const void *body,
                       gsize       body_len)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), header);
  gsize len = 0;
  g_autofree char *text = json_to_string (node, FALSE);

  len = strlen (text);
  _pp_frame_append (out, text, len, body, body_len);
}

PpFrameReader *
_pp_frame_reader_new (gsize max_body)
{
  PpFrameReader *reader = g_new0 (PpFrameReader, 1);

  reader->buffer = g_byte_array_sized_new (READ_CHUNK);
  reader->max_header = PP_FRAME_MAX_HEADER;
  reader->max_body = MIN (max_body, G_MAXUINT32);
  reader->parser = json_parser_new_immutable ();

  return reader;
}

/* Tightens (or relaxes) what the reader accepts from now on, such as the
 * small frames of a handshake before the peer is authenticated. */
void
_pp_frame_reader_set_limits (PpFrameReader *reader,
                             gsize          max_header,
                             gsize          max_body)
{
  reader->max_header = MIN (max_header, PP_FRAME_MAX_HEADER);
  reader->max_body = MIN (max_body, G_MAXUINT32);
}

void
_pp_frame_reader_free (PpFrameReader *reader)
{
  if (reader == NULL)
    return;
  g_byte_array_unref (reader->buffer);
  g_object_unref (reader->parser);
  g_free (reader);
}

static void
compact (PpFrameReader *reader)
{
  if (reader->pos == 0)
    return;
  g_byte_array_remove_range (reader->buffer, 0, reader->pos);
  reader->pos = 0;
}

/* Space to read() into; call _pp_frame_reader_commit() with what was read. */
guint8 *
_pp_frame_reader_get_space (PpFrameReader *reader,
                            gsize         *size)
{
  gsize used;

  if (reader->pos > 0 && reader->pos * 2 >= reader->buffer->len)
    compact (reader);
  used = reader->buffer->len;
  g_byte_array_set_size (reader->buffer, used + READ_CHUNK);
  reader->buffer->len = used;
  *size = READ_CHUNK;

  return reader->buffer->data + used;
}

void
_pp_frame_reader_commit (PpFrameReader *reader,
                         gsize          n_read)
{
  g_assert (n_read <= READ_CHUNK);
  reader->buffer->len += n_read;
}

void
_pp_frame_reader_push (PpFrameReader *reader,
                       const void    *data,
                       gsize          len)
{
  g_byte_array_append (reader->buffer, data, len);
}

gsize
_pp_frame_reader_get_pending (PpFrameReader *reader)
{
  return reader->buffer->len - reader->pos;
}

static gboolean
check_lengths (PpFrameReader  *reader,
               guint32         header_len,
               guint32         body_len,
               GError        **error)
{
  if (header_len < PP_FRAME_MIN_HEADER)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "Malformed frame: header length %u is too short", header_len);
      return FALSE;
    }
  if (header_len > reader->max_header)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_TOO_LARGE,
                   "Frame header of %u bytes exceeds the limit of %" G_GSIZE_FORMAT " bytes",
                   header_len, reader->max_header);
      return FALSE;
    }
  if (body_len > reader->max_body)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_TOO_LARGE,
                   "Frame body of %u bytes exceeds the limit of %" G_GSIZE_FORMAT " bytes",
                   body_len, reader->max_body);
      return FALSE;
    }
  return TRUE;
}

/* JSON-GLib cuts strings at a U+0000 escape ("hello\u0000x" reads as
 * "hello"), so a frame type or key would compare equal to a prefix of what
 * was sent. Such escapes are read as U+2400 (SYMBOL FOR NULL) instead: the
 * string keeps its length and never equals a name. Returns %NULL when
 * @data has none. */
static char *
replace_nul_escapes (const guint8 *data,
                     guint32       len)
{
  char *copy = NULL;

  for (guint32 i = 0; i + 1 < len; i++)
    {
      if (data[i] != '\\')
        continue;
      if (data[i + 1] == 'u' && len - i >= 6 && memcmp (data + i + 2, "0000", 4) == 0)
        {
          if (copy == NULL)
            copy = g_strndup ((const char *) data, len);
          memcpy (copy + i + 2, "2400", 4);
        }
      i++;  /* the escaped character */
    }
  return copy;
}

/* json-glib lets a lone surrogate ("\ud800") through as bytes that are
 * not UTF-8; every name and string of a header must be UTF-8. */
static gboolean
is_utf8 (JsonNode *node)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *child;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &child))
        if (!g_utf8_validate (name, -1, NULL) || !is_utf8 (child))
          return FALSE;
      return TRUE;
    case JSON_NODE_ARRAY:
      for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
        if (!is_utf8 (json_array_get_element (json_node_get_array (node), i)))
          return FALSE;
      return TRUE;
    case JSON_NODE_VALUE:
      return json_node_get_value_type (node) != G_TYPE_STRING ||
             g_utf8_validate (json_node_get_string (node), -1, NULL);
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

static JsonObject *
parse_header (PpFrameReader  *reader,
              const guint8   *data,
              guint32         len,
              GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *replaced = NULL;
  JsonObject *flat;
  JsonNode *root;

  if ((flat = _pp_flat_json_parse ((const char *) data, len)) != NULL)
    return flat;
  if ((replaced = replace_nul_escapes (data, len)) != NULL)
    data = (const guint8 *) replaced;
  if (data[0] != '{' || !_pp_flat_json_is_safe ((const char *) data, len) ||
      !json_parser_load_from_data (reader->parser, (const char *) data, len, &local_error))
    {
      /* JSON-GLib quotes the text it stopped at, a lone surrogate escape
       * ("\ud800") as the invalid UTF-8 it decodes it to. */
      g_autofree char *why = local_error ? g_utf8_make_valid (local_error->message, -1) : NULL;

      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "Malformed frame header: %s",
                   why ? why : "not a JSON object");
      return NULL;
    }
  root = json_parser_get_root (reader->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL,
                   "Malformed frame header: not a JSON object");
      return NULL;
    }
  if (!_pp_flat_json_check_strict ((const char *) data, len, &local_error))
    {
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "Malformed frame header: %s",
                   local_error->message);
      return NULL;
    }
  if (!is_utf8 (root))
    {
      g_set_error_literal (error, PP_ERROR, PP_ERROR_PROTOCOL,
                           "Malformed frame header: a string is not UTF-8");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* Returns the next complete frame, or %NULL: with @error set when the stream
 * is malformed (the stream is then unusable), unset when more bytes are
 * needed. */
PpFrame *
_pp_frame_reader_pop (PpFrameReader  *reader,
                      GError        **error)
{
  const guint8 *p = reader->buffer->data + reader->pos;
  gsize avail = _pp_frame_reader_get_pending (reader);
  guint32 header_len, body_len;
  JsonObject *header;
  PpFrame *frame;

  if (avail < PP_FRAME_PREFIX_SIZE)
    return NULL;
  header_len = get_be32 (p);
  body_len = get_be32 (p + 4);
  if (!check_lengths (reader, header_len, body_len, error))
    return NULL;
  if (avail - PP_FRAME_PREFIX_SIZE < (gsize) header_len + body_len)
    return NULL;

  p += PP_FRAME_PREFIX_SIZE;
  header = parse_header (reader, p, header_len, error);
  if (header == NULL)
    return NULL;
  if (!json_object_has_member (header, "t"))
    {
      json_object_unref (header);
      g_set_error (error, PP_ERROR, PP_ERROR_PROTOCOL, "Malformed frame header: no type");
      return NULL;
    }

  frame = g_new0 (PpFrame, 1);
  frame->header = header;
  frame->body = g_bytes_new (p + header_len, body_len);
  reader->pos += PP_FRAME_PREFIX_SIZE + header_len + body_len;
  if (reader->pos == reader->buffer->len)
    {
      reader->pos = 0;
      reader->buffer->len = 0;
    }

  return frame;
}

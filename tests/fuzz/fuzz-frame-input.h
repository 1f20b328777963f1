/* fuzz-frame-input.h: one frame from a fuzz input, for the targets that
 * feed a decoder a single frame (messages, worker)
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdint.h>
#include <string.h>

#include "pp-frame-private.h"

/* The input is the frame's JSON header up to a NUL, then its body: the
 * length prefixes are written here, so that every mutation of the header
 * reaches the decoders. %NULL when it is out of bounds or the reader
 * refuses it. */
static inline PpFrame *
fuzz_frame_from_input (const uint8_t *data,
                       size_t         size,
                       gsize          max_body)
{
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (max_body);
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  const guint8 *nul = memchr (data, '\0', size);
  gsize header_len = nul ? (gsize) (nul - data) : size;
  gsize body_len = nul ? size - header_len - 1 : 0;

  if (header_len < PP_FRAME_MIN_HEADER || header_len > PP_FRAME_MAX_HEADER || body_len > max_body)
    return NULL;
  _pp_frame_append (stream, (const char *) data, header_len, nul ? nul + 1 : NULL, body_len);
  _pp_frame_reader_push (reader, stream->data, stream->len);
  return _pp_frame_reader_pop (reader, NULL);
}

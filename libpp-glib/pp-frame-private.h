/* pp-frame-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* See docs/protocol.md. */
#define PP_FRAME_PREFIX_SIZE      8
#define PP_FRAME_MIN_HEADER       2
#define PP_FRAME_MAX_HEADER       (1024 * 1024)
#define PP_FRAME_DEFAULT_MAX_BODY (512u * 1024 * 1024)

typedef struct
{
  JsonObject *header;
  GBytes     *body;
} PpFrame;

void         _pp_frame_free           (PpFrame      *frame);
const char  *_pp_frame_get_type       (PpFrame      *frame);
const char  *_pp_frame_get_string     (PpFrame      *frame,
                                       const char   *member);
gint64       _pp_frame_get_int        (PpFrame      *frame,
                                       const char   *member,
                                       gint64        fallback);

/* Checked reads of a value that came from outside (docs/protocol.md,
 * "Numbers"). Each fails with a PP_ERROR_PROTOCOL error naming the member
 * when the member is missing or holds what does not fit: another JSON type,
 * a fraction where an integer belongs, NaN or an infinity, a value out of
 * [min, max]. An integer is written as one (7, not 7.0 or 7e0). For an
 * optional member, test _pp_frame_has() first. */
gboolean     _pp_frame_has            (PpFrame      *frame,
                                       const char   *member);
gboolean     _pp_frame_get_int64      (PpFrame      *frame,
                                       const char   *member,
                                       gint64        min,
                                       gint64        max,
                                       gint64       *value,
                                       GError      **error);
gboolean     _pp_frame_get_uint64     (PpFrame      *frame,
                                       const char   *member,
                                       guint64       max,
                                       guint64      *value,
                                       GError      **error);
gboolean     _pp_frame_get_uint       (PpFrame      *frame,
                                       const char   *member,
                                       guint         max,
                                       guint        *value,
                                       GError      **error);
gboolean     _pp_frame_get_double     (PpFrame      *frame,
                                       const char   *member,
                                       double        min,
                                       double        max,
                                       double       *value,
                                       GError      **error);
gboolean     _pp_frame_get_bool       (PpFrame      *frame,
                                       const char   *member,
                                       gboolean     *value,
                                       GError      **error);
gboolean     _pp_frame_get_str        (PpFrame      *frame,
                                       const char   *member,
                                       const char  **value,
                                       GError      **error);

void         _pp_frame_append         (GByteArray   *out,
                                       const char   *header,
                                       gsize         header_len,
                                       const void   *body,
                                       gsize         body_len);
void         _pp_frame_append_json    (GByteArray   *out,
                                       JsonObject   *header,
                                       const void   *body,
                                       gsize         body_len);

typedef struct _PpFrameReader PpFrameReader;

PpFrameReader *_pp_frame_reader_new       (gsize          max_body);
void           _pp_frame_reader_set_limits (PpFrameReader *reader,
                                           gsize          max_header,
                                           gsize          max_body);
void           _pp_frame_reader_free      (PpFrameReader *reader);
guint8        *_pp_frame_reader_get_space (PpFrameReader *reader,
                                           gsize         *size);
void           _pp_frame_reader_commit    (PpFrameReader *reader,
                                           gsize          n_read);
void           _pp_frame_reader_push      (PpFrameReader *reader,
                                           const void    *data,
                                           gsize          len);
PpFrame       *_pp_frame_reader_pop       (PpFrameReader *reader,
                                           GError       **error);
gsize          _pp_frame_reader_get_pending (PpFrameReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpFrame, _pp_frame_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpFrameReader, _pp_frame_reader_free)

G_END_DECLS

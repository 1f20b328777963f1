/* pp-messages-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-frame-private.h"
#include "pp-job-private.h"

G_BEGIN_DECLS

/* The messages of docs/protocol.md that a client sends to a worker or a
 * node, and the results it reads back: transport-free encoding and
 * checking, shared by the local pool and the remote nodes. */

/* Appends a "job" frame for @job to @out, after a "def" of its function if
 * @defined (the keys that peer has; the key is added) lacks it. */
void      _pp_message_append_job     (GByteArray *out,
                                      GHashTable *defined,
                                      PpJob      *job);
void      _pp_message_append_skip    (GByteArray *out,
                                      guint64     id);
void      _pp_message_append_cancel  (GByteArray *out,
                                      guint64     id);
void      _pp_message_append_ping    (GByteArray *out,
                                      guint64     n);

/* Checks every number and flag of a "res" frame before any is used; @id is
 * set as soon as it is read, even if something else does not fit. */
gboolean  _pp_message_check_result   (PpFrame    *frame,
                                      gint64     *id,
                                      GError    **error);
gboolean  _pp_message_get_flag       (PpFrame    *frame,
                                      const char *member);
double    _pp_message_get_run_time   (PpFrame    *frame);
/* The payload; *@output the captured output (or %NULL). */
GBytes   *_pp_message_split_result   (PpFrame    *frame,
                                      char      **output);
/* The error a failed result stands for. */
GError   *_pp_message_result_error   (PpJob      *job,
                                      PpFrame    *frame);

/* What a node reads from a client: each frame checked whole (with the
 * _pp_frame_get_*() accessors) before any of it is used; a frame that does
 * not fit is a PP_ERROR_PROTOCOL error that names what is wrong. The
 * strings without their own copy point into the frame's header. */
typedef struct
{
  const char  *key;
  const char  *name;
  char       **modules;
  char        *source;
} PpDefMessage;

typedef struct
{
  gint64           id;
  /* %NULL when the frame has none (or not a string): no function has it */
  const char      *key;
  PpPayloadFormat  format;
} PpJobMessage;

typedef struct
{
  gint64 id;
} PpCancelMessage;

typedef struct
{
  gboolean has_n;
  gint64   n;
} PpPingMessage;

/* "def": the key is not checked against the function here (the node
 * computes it). Clear @def with _pp_def_message_clear() either way. */
gboolean  _pp_message_parse_def      (PpFrame         *frame,
                                      PpDefMessage    *def,
                                      GError         **error);
void      _pp_def_message_clear      (PpDefMessage    *def);
/* "job": its arguments are the frame's body. */
gboolean  _pp_message_parse_job      (PpFrame         *frame,
                                      PpJobMessage    *job,
                                      GError         **error);
gboolean  _pp_message_parse_cancel   (PpFrame         *frame,
                                      PpCancelMessage *cancel,
                                      GError         **error);
gboolean  _pp_message_parse_ping     (PpFrame         *frame,
                                      PpPingMessage   *ping,
                                      GError         **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PpDefMessage, _pp_def_message_clear)

GBytes   *_pp_message_parse_result   (PpJob        *job,
                                      PpFrame      *frame,
                                      PpJobOutcome *outcome);

G_END_DECLS

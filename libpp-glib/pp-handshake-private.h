/* pp-handshake-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pp-frame-private.h"

G_BEGIN_DECLS

/* The mutual HMAC-SHA256 challenge-response of docs/protocol.md, as a state
 * machine over frames with no I/O of its own, so that both sides share it and
 * a fuzzer can drive it. */

#define PP_PROTOCOL_VERSION         1
#define PP_HANDSHAKE_MAX_HEADER     4096
#define PP_HANDSHAKE_NONCE_SIZE     32

typedef enum
{
  PP_HANDSHAKE_CLIENT,
  PP_HANDSHAKE_NODE,
} PpHandshakeRole;

typedef enum
{
  PP_HANDSHAKE_CONTINUE,
  PP_HANDSHAKE_DONE,
  PP_HANDSHAKE_FAILED,
} PpHandshakeStatus;

typedef struct _PpHandshake PpHandshake;

/* @secret may be "" (loopback nodes without a secret). @channel_binding is
 * the TLS channel binding data, or %NULL for plain TCP. */
PpHandshake       *_pp_handshake_new           (PpHandshakeRole  role,
                                                const char      *secret,
                                                GBytes          *channel_binding);
/* Node side: what "welcome" will say. */
void               _pp_handshake_set_welcome   (PpHandshake     *self,
                                                guint            ncpus,
                                                const char      *node_name,
                                                guint            timeout);
/* Node side: the heartbeat interval "welcome" announces (0: none). */
void               _pp_handshake_set_heartbeat (PpHandshake     *self,
                                                guint            heartbeat_ms);
/* Client side: appends the "hello" frame to @out. */
void               _pp_handshake_start         (PpHandshake     *self,
                                                GByteArray      *out);
/* Feeds one received frame. Appends the reply, if any, to @out (on failure
 * the node appends an "error" frame to send before closing). On FAILED,
 * @error says why: PP_ERROR_AUTH-like codes are PP_ERROR_PROTOCOL with a
 * clear message ("wrong secret", "protocol version 2 not supported", ...). */
PpHandshakeStatus  _pp_handshake_feed          (PpHandshake     *self,
                                                PpFrame         *frame,
                                                GByteArray      *out,
                                                GError         **error);
/* Client side, once DONE: the node's "welcome". */
guint              _pp_handshake_get_ncpus     (PpHandshake     *self);
const char        *_pp_handshake_get_node_name (PpHandshake     *self);
guint              _pp_handshake_get_timeout   (PpHandshake     *self);
/* The node's heartbeat interval in milliseconds, 0 if it did not say. */
guint              _pp_handshake_get_heartbeat (PpHandshake     *self);
void               _pp_handshake_free          (PpHandshake     *self);

/* The TLS channel binding both sides mix into their proofs: tls-exporter,
 * or tls-server-end-point where the TLS library lacks it (docs/protocol.md). */
GBytes            *_pp_handshake_dup_channel_binding (GTlsConnection *tls,
                                                      GError        **error);

/* Fills @buffer from the kernel's CSPRNG (getrandom()). */
gboolean           _pp_random_bytes            (guint8          *buffer,
                                                gsize            length,
                                                GError         **error);
/* Constant-time comparison of two strings of equal length. */
gboolean           _pp_constant_time_equal     (const char      *a,
                                                const char      *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpHandshake, _pp_handshake_free)

G_END_DECLS

/* pp-handshake.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "pp-error.h"
#include "pp-handshake-private.h"
#include "pp-secret-private.h"

/* The handshake of docs/protocol.md:
 *
 *   client → node   hello      {proto, nonce NC, agent}
 *   node   → client challenge  {proto, nonce NN, proof PN}
 *   client → node   auth       {proof PC}
 *   node   → client welcome    {ncpus, node, version, timeout, heartbeat_ms}
 *
 * with PN = HMAC-SHA256 (secret, "pp-glib node\0" NC "\0" NN "\0" CB) and
 * PC = HMAC-SHA256 (secret, "pp-glib client\0" NN "\0" NC "\0" CB), where
 * NC and NN are the nonces as sent (64 lowercase hex characters) and CB is
 * the TLS channel binding (empty on plain TCP). Each side checks the other's
 * proof in constant time; the node proves itself first.
 *
 * There is no I/O here: frames go in, frames to send come out. */

#define NONCE_HEX_LEN  (PP_HANDSHAKE_NONCE_SIZE * 2)
#define PROOF_HEX_LEN  64
#define MAX_NCPUS      65536
#define MAX_PEER_MESSAGE 300

static const char node_label[] = "pp-glib node";
static const char client_label[] = "pp-glib client";

typedef enum
{
  STATE_INITIAL,
  STATE_WAIT_HELLO,
  STATE_WAIT_CHALLENGE,
  STATE_WAIT_AUTH,
  STATE_WAIT_WELCOME,
  STATE_DONE,
  STATE_FAILED,
} State;

struct _PpHandshake
{
  PpHandshakeRole  role;
  State            state;
  char            *secret;
  GBytes          *channel_binding;
  char             nonce[NONCE_HEX_LEN + 1];
  char             peer_nonce[NONCE_HEX_LEN + 1];
  /* Why the handshake failed, for the node's "error" frame. */
  const char      *error_code;
  char            *error_message;
  char            *peer_message;

  guint            ncpus;
  char            *node_name;
  guint            timeout;
  guint            heartbeat_ms;
};

gboolean
_pp_random_bytes (guint8  *buffer,
                  gsize    length,
                  GError **error)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = getrandom (buffer + done, length - done, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot read random bytes from the kernel: %s",
                       g_strerror (saved_errno));
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

gboolean
_pp_constant_time_equal (const char *a,
                         const char *b)
{
  gsize len;
  guint8 diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;
  /* Lengths are public (proofs have a fixed length); contents are not. */
  len = strlen (a);
  if (len != strlen (b))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i];

  return diff == 0;
}

static void
hex_encode (const guint8 *data,
            gsize         len,
            char         *out)
{
  static const char digits[] = "0123456789abcdef";

  for (gsize i = 0; i < len; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 0xf];
    }
  out[2 * len] = '\0';
}

static gboolean
is_lower_hex (const char *s,
              gsize       len)
{
  if (s == NULL || strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
      return FALSE;
  return TRUE;
}

/* A fresh nonce for this connection. A fuzzing build gets a fixed one, so
 * that its corpus can carry valid proofs and reach the later steps. */
static void
make_nonce (char *out)
{
  guint8 bytes[PP_HANDSHAKE_NONCE_SIZE];

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  memset (bytes, 0x5a, sizeof bytes);
#else
  g_autoptr(GError) error = NULL;

  /* getrandom() cannot fail on Linux >= 3.17 once the pool is ready; a
   * connection without a fresh nonce would be replayable, so never go on. */
  if (!_pp_random_bytes (bytes, sizeof bytes, &error))
    g_error ("%s", error->message);
#endif
  hex_encode (bytes, sizeof bytes, out);
}

static char *
compute_proof (PpHandshake *self,
               const char  *label,
               const char  *first_nonce,
               const char  *second_nonce)
{
  g_autoptr(GHmac) hmac = NULL;
  static const guchar nul = 0;

  hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) self->secret, strlen (self->secret));
  g_hmac_update (hmac, (const guchar *) label, strlen (label) + 1);
  g_hmac_update (hmac, (const guchar *) first_nonce, NONCE_HEX_LEN);
  g_hmac_update (hmac, &nul, 1);
  g_hmac_update (hmac, (const guchar *) second_nonce, NONCE_HEX_LEN);
  g_hmac_update (hmac, &nul, 1);
  if (self->channel_binding != NULL)
    {
      gsize size;
      const guchar *data = g_bytes_get_data (self->channel_binding, &size);

      if (size > 0)
        g_hmac_update (hmac, data, size);
    }

  return g_strdup (g_hmac_get_string (hmac));
}

PpHandshake *
_pp_handshake_new (PpHandshakeRole  role,
                   const char      *secret,
                   GBytes          *channel_binding)
{
  PpHandshake *self = g_new0 (PpHandshake, 1);

  self->role = role;
  self->state = role == PP_HANDSHAKE_NODE ? STATE_WAIT_HELLO : STATE_INITIAL;
  self->secret = g_strdup (secret ? secret : "");
  self->channel_binding = channel_binding ? g_bytes_ref (channel_binding) : NULL;
  self->ncpus = g_get_num_processors ();
  self->node_name = g_strdup (g_get_host_name ());
  make_nonce (self->nonce);

  return self;
}

void
_pp_handshake_free (PpHandshake *self)
{
  if (self == NULL)
    return;
  _pp_secret_free (self->secret);
  g_clear_pointer (&self->channel_binding, g_bytes_unref);
  g_free (self->error_message);
  g_free (self->peer_message);
  g_free (self->node_name);
  g_free (self);
}

void
_pp_handshake_set_welcome (PpHandshake *self,
                           guint        ncpus,
                           const char  *node_name,
                           guint        timeout)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->role == PP_HANDSHAKE_NODE);

  self->ncpus = ncpus;
  g_free (self->node_name);
  self->node_name = g_strdup (node_name ? node_name : "");
  self->timeout = timeout;
}

void
_pp_handshake_set_heartbeat (PpHandshake *self,
                             guint        heartbeat_ms)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->role == PP_HANDSHAKE_NODE);

  self->heartbeat_ms = heartbeat_ms;
}

void
_pp_handshake_start (PpHandshake *self,
                     GByteArray  *out)
{
  g_autoptr(JsonObject) hello = json_object_new ();

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->role == PP_HANDSHAKE_CLIENT);
  g_return_if_fail (self->state == STATE_INITIAL);

  json_object_set_string_member (hello, "t", "hello");
  json_object_set_int_member (hello, "proto", PP_PROTOCOL_VERSION);
  json_object_set_string_member (hello, "nonce", self->nonce);
  json_object_set_string_member (hello, "agent", "pp-glib/" PACKAGE_VERSION);
  _pp_frame_append_json (out, hello, NULL, 0);
  self->state = STATE_WAIT_CHALLENGE;
}

/* Records why the handshake failed: @code goes into the node's "error"
 * frame, the message into both that frame and @error. */
G_GNUC_PRINTF (4, 5)
static PpHandshakeStatus
fail (PpHandshake  *self,
      const char   *code,
      GError      **error,
      const char   *format,
      ...)
{
  va_list args;

  g_free (self->error_message);
  va_start (args, format);
  self->error_message = g_strdup_vprintf (format, args);
  va_end (args);
  self->error_code = code;
  g_set_error_literal (error, PP_ERROR, PP_ERROR_PROTOCOL, self->error_message);

  return PP_HANDSHAKE_FAILED;
}

/* Member access with exact JSON types: a handshake frame is either
 * well-formed or refused. */
static JsonNode *
get_value (PpFrame    *frame,
           const char *member,
           GType       type)
{
  JsonNode *node = json_object_get_member (frame->header, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

static const char *
get_string (PpFrame    *frame,
            const char *member)
{
  JsonNode *node = get_value (frame, member, G_TYPE_STRING);

  return node ? json_node_get_string (node) : NULL;
}

static PpHandshakeStatus
check_frame (PpHandshake  *self,
             PpFrame      *frame,
             const char   *expected,
             GError      **error)
{
  const char *type = _pp_frame_get_type (frame);

  if (type == NULL)
    return fail (self, "protocol", error,
                 "protocol error: expected a %s frame during the handshake, "
                 "got a frame without a type", expected);
  if (strcmp (type, expected) != 0)
    return fail (self, "protocol", error,
                 "protocol error: expected a %s frame during the handshake, got %s",
                 expected, type);
  if (frame->body != NULL && g_bytes_get_size (frame->body) > 0)
    return fail (self, "protocol", error,
                 "protocol error: a %s frame must have an empty body", expected);
  return PP_HANDSHAKE_CONTINUE;
}

static PpHandshakeStatus
check_version (PpHandshake  *self,
               PpFrame      *frame,
               GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 proto;

  if (!_pp_frame_get_int64 (frame, "proto", G_MININT64, G_MAXINT64, &proto, &local_error))
    return fail (self, "protocol", error,
                 "protocol error: the %s frame has no valid protocol version (%s)",
                 _pp_frame_get_type (frame), local_error->message);
  if (proto == PP_PROTOCOL_VERSION)
    return PP_HANDSHAKE_CONTINUE;

  /* The same words for the client, from its point of view. */
  self->peer_message = g_strdup_printf ("protocol version %" G_GINT64_FORMAT
                                        " is not supported (the node speaks %d)",
                                        proto, PP_PROTOCOL_VERSION);
  return fail (self, "version", error,
               "protocol version %" G_GINT64_FORMAT " is not supported (this side speaks %d)",
               proto, PP_PROTOCOL_VERSION);
}

static PpHandshakeStatus
read_nonce (PpHandshake  *self,
            PpFrame      *frame,
            GError      **error)
{
  const char *nonce = get_string (frame, "nonce");

  if (!is_lower_hex (nonce, NONCE_HEX_LEN))
    return fail (self, "protocol", error,
                 "protocol error: the %s frame has no valid nonce", _pp_frame_get_type (frame));
  memcpy (self->peer_nonce, nonce, NONCE_HEX_LEN + 1);
  return PP_HANDSHAKE_CONTINUE;
}

/* Whether @frame's "proof" is the one only a holder of the secret could
 * compute over @label and the nonces in this order. */
static gboolean
check_proof (PpHandshake *self,
             PpFrame     *frame,
             const char  *label,
             const char  *first_nonce,
             const char  *second_nonce)
{
  g_autofree char *expected = compute_proof (self, label, first_nonce, second_nonce);
  const char *proof = get_string (frame, "proof");

  return proof != NULL && _pp_constant_time_equal (proof, expected);
}

static void
append_challenge (PpHandshake *self,
                  GByteArray  *out)
{
  g_autoptr(JsonObject) challenge = json_object_new ();
  g_autofree char *proof = compute_proof (self, node_label, self->peer_nonce, self->nonce);

  json_object_set_string_member (challenge, "t", "challenge");
  json_object_set_int_member (challenge, "proto", PP_PROTOCOL_VERSION);
  json_object_set_string_member (challenge, "nonce", self->nonce);
  json_object_set_string_member (challenge, "proof", proof);
  _pp_frame_append_json (out, challenge, NULL, 0);
}

static PpHandshakeStatus
node_on_hello (PpHandshake  *self,
               PpFrame      *frame,
               GByteArray   *out,
               GError      **error)
{
  JsonNode *agent = json_object_get_member (frame->header, "agent");

  if (check_frame (self, frame, "hello", error) == PP_HANDSHAKE_FAILED ||
      check_version (self, frame, error) == PP_HANDSHAKE_FAILED ||
      read_nonce (self, frame, error) == PP_HANDSHAKE_FAILED)
    return PP_HANDSHAKE_FAILED;
  if (agent != NULL && get_string (frame, "agent") == NULL)
    return fail (self, "protocol", error, "protocol error: the hello frame has an invalid agent");

  append_challenge (self, out);
  self->state = STATE_WAIT_AUTH;
  return PP_HANDSHAKE_CONTINUE;
}

static void
append_welcome (PpHandshake *self,
                GByteArray  *out)
{
  g_autoptr(JsonObject) welcome = json_object_new ();

  json_object_set_string_member (welcome, "t", "welcome");
  json_object_set_int_member (welcome, "ncpus", self->ncpus);
  json_object_set_string_member (welcome, "node", self->node_name);
  json_object_set_string_member (welcome, "version", PACKAGE_VERSION);
  json_object_set_int_member (welcome, "timeout", self->timeout);
  if (self->heartbeat_ms > 0)
    json_object_set_int_member (welcome, "heartbeat_ms", self->heartbeat_ms);
  _pp_frame_append_json (out, welcome, NULL, 0);
}

static PpHandshakeStatus
node_on_auth (PpHandshake  *self,
              PpFrame      *frame,
              GByteArray   *out,
              GError      **error)
{
  /* The client found this node's proof wrong and said so. */
  if (g_strcmp0 (_pp_frame_get_type (frame), "error") == 0 &&
      g_strcmp0 (get_string (frame, "code"), "auth") == 0)
    return fail (self, "auth", error,
                 "authentication failed: wrong secret (the client refused this node's proof)");
  if (check_frame (self, frame, "auth", error) == PP_HANDSHAKE_FAILED)
    return PP_HANDSHAKE_FAILED;
  if (get_string (frame, "proof") == NULL)
    return fail (self, "protocol", error, "protocol error: the auth frame has no proof");
  if (!check_proof (self, frame, client_label, self->nonce, self->peer_nonce))
    return fail (self, "auth", error, "authentication failed: wrong secret");

  append_welcome (self, out);
  self->state = STATE_DONE;
  return PP_HANDSHAKE_DONE;
}

/* What a node's "error" frame says, made safe to show: valid UTF-8 without
 * control characters, of a bounded length. */
static char *
sanitize_peer_message (const char *message)
{
  g_autofree char *valid = g_utf8_make_valid (message, -1);
  char *clean = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1), MAX_PEER_MESSAGE));

  for (char *p = clean; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return clean;
}

static PpHandshakeStatus
client_on_error (PpHandshake  *self,
                 PpFrame      *frame,
                 GError      **error)
{
  const char *code = get_string (frame, "code");
  const char *message = get_string (frame, "message");
  g_autofree char *clean = NULL;

  if (message == NULL || *message == '\0')
    message = g_strcmp0 (code, "auth") == 0 ? "authentication failed: wrong secret" :
              g_strcmp0 (code, "version") == 0 ? "the node does not speak this protocol version" :
              "the node refused the handshake";
  clean = sanitize_peer_message (message);
  return fail (self, "protocol", error, "%s", clean);
}

static PpHandshakeStatus
client_on_challenge (PpHandshake  *self,
                     PpFrame      *frame,
                     GByteArray   *out,
                     GError      **error)
{
  g_autoptr(JsonObject) auth = json_object_new ();
  g_autofree char *proof = NULL;

  if (g_strcmp0 (_pp_frame_get_type (frame), "error") == 0)
    return client_on_error (self, frame, error);
  if (check_frame (self, frame, "challenge", error) == PP_HANDSHAKE_FAILED ||
      check_version (self, frame, error) == PP_HANDSHAKE_FAILED ||
      read_nonce (self, frame, error) == PP_HANDSHAKE_FAILED)
    return PP_HANDSHAKE_FAILED;
  if (!is_lower_hex (get_string (frame, "proof"), PROOF_HEX_LEN))
    return fail (self, "protocol", error, "protocol error: the challenge frame has no valid proof");
  if (!check_proof (self, frame, node_label, self->nonce, self->peer_nonce))
    return fail (self, "auth", error, "the node could not prove the shared secret");

  proof = compute_proof (self, client_label, self->peer_nonce, self->nonce);
  json_object_set_string_member (auth, "t", "auth");
  json_object_set_string_member (auth, "proof", proof);
  _pp_frame_append_json (out, auth, NULL, 0);
  self->state = STATE_WAIT_WELCOME;
  return PP_HANDSHAKE_CONTINUE;
}

static PpHandshakeStatus
client_on_welcome (PpHandshake  *self,
                   PpFrame      *frame,
                   GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *node_name, *version;

  if (g_strcmp0 (_pp_frame_get_type (frame), "error") == 0)
    return client_on_error (self, frame, error);
  if (check_frame (self, frame, "welcome", error) == PP_HANDSHAKE_FAILED)
    return PP_HANDSHAKE_FAILED;
  if (!_pp_frame_get_uint (frame, "ncpus", MAX_NCPUS, &self->ncpus, &local_error) ||
      !_pp_frame_get_uint (frame, "timeout", G_MAXINT32, &self->timeout, &local_error) ||
      !_pp_frame_get_str (frame, "node", &node_name, &local_error) ||
      !_pp_frame_get_str (frame, "version", &version, &local_error))
    return fail (self, "protocol", error,
                 "protocol error: the welcome frame lacks a valid ncpus, node, version "
                 "or timeout (%s)", local_error->message);
  /* Optional: 0 when the node does not say. */
  if (_pp_frame_has (frame, "heartbeat_ms") &&
      !_pp_frame_get_uint (frame, "heartbeat_ms", G_MAXINT32, &self->heartbeat_ms, &local_error))
    return fail (self, "protocol", error,
                 "protocol error: the welcome frame has an invalid heartbeat_ms (%s)",
                 local_error->message);

  g_free (self->node_name);
  self->node_name = g_strdup (node_name);
  self->state = STATE_DONE;
  return PP_HANDSHAKE_DONE;
}

static void
append_error (PpHandshake *self,
              GByteArray  *out)
{
  g_autoptr(JsonObject) header = json_object_new ();

  json_object_set_string_member (header, "t", "error");
  json_object_set_string_member (header, "code", self->error_code);
  json_object_set_string_member (header, "message",
                                 self->peer_message ? self->peer_message : self->error_message);
  _pp_frame_append_json (out, header, NULL, 0);
}

static PpHandshakeStatus
step (PpHandshake  *self,
      PpFrame      *frame,
      GByteArray   *out,
      GError      **error)
{
  switch (self->state)
    {
    case STATE_WAIT_HELLO:
      return node_on_hello (self, frame, out, error);
    case STATE_WAIT_AUTH:
      return node_on_auth (self, frame, out, error);
    case STATE_WAIT_CHALLENGE:
      return client_on_challenge (self, frame, out, error);
    case STATE_WAIT_WELCOME:
      return client_on_welcome (self, frame, error);
    case STATE_INITIAL:
      return fail (self, "protocol", error, "protocol error: a frame arrived before the handshake began");
    case STATE_DONE:
    case STATE_FAILED:
    default:
      return fail (self, "protocol", error, "protocol error: the handshake is already over");
    }
}

PpHandshakeStatus
_pp_handshake_feed (PpHandshake  *self,
                    PpFrame      *frame,
                    GByteArray   *out,
                    GError      **error)
{
  gboolean was_over;
  PpHandshakeStatus status;

  g_return_val_if_fail (self != NULL, PP_HANDSHAKE_FAILED);
  g_return_val_if_fail (frame != NULL && frame->header != NULL, PP_HANDSHAKE_FAILED);
  g_return_val_if_fail (out != NULL, PP_HANDSHAKE_FAILED);
  g_return_val_if_fail (error == NULL || *error == NULL, PP_HANDSHAKE_FAILED);

  was_over = self->state == STATE_DONE || self->state == STATE_FAILED;
  status = step (self, frame, out, error);
  if (status != PP_HANDSHAKE_FAILED)
    return status;

  /* A node explains itself once, before its caller closes the connection;
   * a client only when the node's proof was wrong, so that the node can log
   * a wrong secret. */
  if (!was_over && (self->role == PP_HANDSHAKE_NODE || g_strcmp0 (self->error_code, "auth") == 0))
    append_error (self, out);
  self->state = STATE_FAILED;
  return PP_HANDSHAKE_FAILED;
}

guint
_pp_handshake_get_ncpus (PpHandshake *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->ncpus;
}

const char *
_pp_handshake_get_node_name (PpHandshake *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->node_name;
}

guint
_pp_handshake_get_timeout (PpHandshake *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->timeout;
}

guint
_pp_handshake_get_heartbeat (PpHandshake *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->heartbeat_ms;
}

GBytes *
_pp_handshake_dup_channel_binding (GTlsConnection  *tls,
                                   GError         **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();

  if (!g_tls_connection_get_channel_binding_data (tls, G_TLS_CHANNEL_BINDING_TLS_EXPORTER,
                                                  data, NULL))
    {
      g_byte_array_set_size (data, 0);
      if (!g_tls_connection_get_channel_binding_data (tls,
                                                      G_TLS_CHANNEL_BINDING_TLS_SERVER_END_POINT,
                                                      data, error))
        return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

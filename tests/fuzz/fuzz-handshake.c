/* fuzz-handshake.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pp-frame-private.h"
#include "pp-handshake-private.h"

/* libFuzzer target for the handshake, either side fed arbitrary frames.
 *
 * The first input byte chooses the side (bit 0: client), a channel binding
 * (bit 1) and the secret (bit 2: "", else "s3cret"); the rest is the byte
 * stream from the peer, decoded with the limits a node applies before
 * authentication (but with room for small bodies, which the handshake must
 * refuse itself). This build's nonces are fixed (FUZZING_BUILD_MODE_UNSAFE_
 * FOR_PRODUCTION), so the seed corpus holds valid proofs and the fuzzer gets
 * past them. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* What @out gained since @from: the number of frames, each of them valid,
 * and the type of the last. */
static guint
count_frames (GByteArray  *out,
              gsize        from,
              char       **last_type)
{
  g_autoptr(PpFrameReader) reader = _pp_frame_reader_new (0);
  PpFrame *frame;
  guint n = 0;

  _pp_frame_reader_push (reader, out->data + from, out->len - from);
  while ((frame = _pp_frame_reader_pop (reader, NULL)) != NULL)
    {
      g_assert (_pp_frame_get_type (frame) != NULL);
      g_free (*last_type);
      *last_type = g_strdup (_pp_frame_get_type (frame));
      _pp_frame_free (frame);
      n++;
    }
  g_assert (_pp_frame_reader_get_pending (reader) == 0);
  return n;
}

/* Checks what one step did; returns FALSE when the handshake is over. */
static gboolean
check_step (PpHandshakeRole    role,
            PpHandshakeStatus  status,
            const GError      *error,
            GByteArray        *out,
            gsize              before)
{
  g_autofree char *type = NULL;
  guint n = count_frames (out, before, &type);

  g_assert ((status == PP_HANDSHAKE_FAILED) == (error != NULL));
  if (error != NULL)
    g_assert (error->message != NULL && error->message[0] != '\0');

  if (role == PP_HANDSHAKE_CLIENT)
    {
      /* A client answers a challenge with auth; it fails in silence, or
       * with one error frame when the node's proof was wrong. */
      if (status == PP_HANDSHAKE_CONTINUE)
        g_assert (n == 1 && strcmp (type, "auth") == 0);
      else
        g_assert (n == 0 || (n == 1 && strcmp (type, "error") == 0));
    }
  else
    {
      /* A node always answers: challenge, welcome, or error. */
      g_assert (n == 1);
      g_assert (strcmp (type, status == PP_HANDSHAKE_FAILED ? "error" :
                              status == PP_HANDSHAKE_DONE ? "welcome" : "challenge") == 0);
    }
  return status == PP_HANDSHAKE_CONTINUE;
}

/* Once over, a handshake refuses everything and says nothing more. */
static void
check_over (PpHandshake *handshake,
            PpFrame     *frame,
            GByteArray  *out)
{
  g_autoptr(GError) error = NULL;
  gsize before = out->len;

  g_assert (_pp_handshake_feed (handshake, frame, out, &error) == PP_HANDSHAKE_FAILED);
  g_assert (error != NULL);
  g_assert (out->len == before);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const guint8 binding[] = { 0x01, 0x00, 0xfe, 0x7f };
  g_autoptr(GBytes) cb = NULL;
  g_autoptr(PpHandshake) handshake = NULL;
  g_autoptr(PpFrameReader) reader = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  PpHandshakeRole role;

  if (size < 1)
    return 0;
  role = (data[0] & 1) ? PP_HANDSHAKE_CLIENT : PP_HANDSHAKE_NODE;
  if (data[0] & 2)
    cb = g_bytes_new_static (binding, sizeof binding);
  handshake = _pp_handshake_new (role, (data[0] & 4) ? "" : "s3cret", cb);
  if (role == PP_HANDSHAKE_NODE)
    _pp_handshake_set_welcome (handshake, 4, "fuzz:60000", 60);
  else
    _pp_handshake_start (handshake, out);

  reader = _pp_frame_reader_new (64);
  _pp_frame_reader_set_limits (reader, PP_HANDSHAKE_MAX_HEADER, 64);
  _pp_frame_reader_push (reader, data + 1, size - 1);

  for (;;)
    {
      g_autoptr(PpFrame) frame = _pp_frame_reader_pop (reader, NULL);
      g_autoptr(GError) error = NULL;
      gsize before = out->len;
      PpHandshakeStatus status;

      if (frame == NULL)
        break;
      status = _pp_handshake_feed (handshake, frame, out, &error);

      if (!check_step (role, status, error, out, before))
        {
          check_over (handshake, frame, out);
          break;
        }
    }

  if (role == PP_HANDSHAKE_CLIENT)
    {
      /* Only meaningful once DONE, but always safe to call. */
      (void) _pp_handshake_get_ncpus (handshake);
      (void) _pp_handshake_get_node_name (handshake);
      (void) _pp_handshake_get_timeout (handshake);
    }
  return 0;
}

/* fuzz-http.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "ppd/ppd-http-private.h"
#include "ppd/ppd-http-websocket.h"
#include "ppd/ppd-options.h"

/* libFuzzer target for what ppd's HTTP side makes of a request: the head
 * is parsed as libsoup's server parses it (soup_headers_parse_request(),
 * the target resolved as a SoupServer resolves it), then ppd's own code
 * takes over, as its early handler and handlers do: the path's route, the
 * token (Authorization: Bearer, or a "bearer.TOKEN" WebSocket
 * subprotocol) compared with the node's, the Origin of the events'
 * WebSocket, the query of /api/v1/jobs (state=, limit=), and the body of
 * POST /api/v1/workers. What follows
 * the head is the body of a POST, or what a client sends on ppd's WebSocket once upgraded: its
 * frames go through ppd-http-websocket.c's reader (a real PpdWebsocket on
 * in-memory streams, answering pings and closes), and everything ppd
 * writes back must be well-formed server frames.
 *
 * Input: byte 0 (bit 0: TLS; bit 1: the events queue a message before
 * the client's frames are read; bit 2: after), then the request head up
 * to a NUL, then the client's WebSocket bytes. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define TOKEN       "3f1c0e4d1d4f0a5b6c7d8e9f00112233445566778899aabbccddeeff00112233"
#define MAX_PENDING 4096

/* The body of POST /api/v1/workers: a count SetWorkers takes, or a
 * valid UTF-8 reason. */
static void
check_workers_body (const guint8 *body,
                    gsize         len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, len);
  g_autofree char *problem = NULL;
  gint64 workers = 0;

  problem = ppd_http_control_parse_workers (bytes, &workers);
  if (problem == NULL)
    g_assert (workers >= 1 && workers <= PPD_MAX_WORKERS);
  else
    g_assert (g_utf8_validate (problem, -1, NULL));
}

static void
check_request (const char   *head,
               gsize         len,
               gboolean      tls,
               const guint8 *body,
               gsize         body_len)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(GUri) base = g_uri_parse ("http://127.0.0.1:8080/", SOUP_HTTP_URI_FLAGS, NULL);
  g_autoptr(GUri) uri = NULL;
  g_autofree char *method = NULL;
  g_autofree char *target = NULL;
  g_autofree char *token = NULL;
  const char *path, *state = NULL, *problem = NULL;
  SoupHTTPVersion version;
  guint limit = 0;

  if (soup_headers_parse_request (head, len, headers, &method, &target, &version) != SOUP_STATUS_OK)
    return;
  if (*target != '/' || (uri = g_uri_parse_relative (base, target, SOUP_HTTP_URI_FLAGS, NULL)) == NULL)
    return;  /* libsoup answers 400 */
  path = g_uri_get_path (uri);

  /* The early handler's checks, in its order. */
  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD") && !g_str_equal (method, "POST"))
    return;
  if (!g_str_has_prefix (path, "/api/"))
    return;
  token = ppd_http_request_token (headers);
  if (token == NULL || !ppd_http_token_equal (token, TOKEN))
    {
      g_assert (token == NULL || !g_str_equal (token, TOKEN));
      return;
    }
  g_assert (g_str_equal (token, TOKEN));
  if (g_str_equal (method, "POST"))
    {
      if (ppd_http_control_claims (path))
        check_workers_body (body, body_len);
      return;
    }
  if (g_str_equal (path, "/api/v1/events"))
    (void) ppd_http_origin_allowed (headers, tls);
  if (!g_str_equal (path, "/api/v1/jobs"))
    return;
  if (ppd_http_api_parse_jobs_query (g_uri_get_query (uri), &state, &limit, &problem))
    {
      g_assert (g_str_equal (state, "queued") || g_str_equal (state, "running") ||
                g_str_equal (state, "done"));
      g_assert (limit >= 1 && limit <= 1000);
    }
  else
    g_assert (problem != NULL && g_utf8_validate (problem, -1, NULL));
}

/* The WebSocket ----------------------------------------------------------- */

static void
closed_cb (PpdWebsocket *websocket,
           gpointer      data)
{
  *(gboolean *) data = TRUE;
}

/* What ppd wrote: whole, unmasked frames; nothing after a close. */
static void
check_server_frames (const guint8 *out,
                     gsize         len)
{
  gsize pos = 0;
  gboolean closed = FALSE;

  while (pos < len)
    {
      guint8 opcode = out[pos] & 0x0f;
      guint64 payload;
      gsize header = 2;

      g_assert (!closed);
      g_assert (len - pos >= 2);
      g_assert ((out[pos] & 0x80) != 0);   /* FIN */
      g_assert ((out[pos + 1] & 0x80) == 0);  /* a server does not mask */
      g_assert (opcode == 0x1 || opcode == 0x8 || opcode == 0xa);
      payload = out[pos + 1] & 0x7f;
      if (payload == 126)
        {
          g_assert (len - pos >= 4);
          payload = ((guint64) out[pos + 2] << 8) | out[pos + 3];
          header = 4;
        }
      else if (payload == 127)
        {
          g_assert (len - pos >= 10);
          payload = 0;
          for (int i = 0; i < 8; i++)
            payload = (payload << 8) | out[pos + 2 + i];
          header = 10;
        }
      g_assert (opcode == 0x1 || payload <= 125);  /* control frames */
      g_assert (len - pos - header >= payload);
      closed = opcode == 0x8;
      pos += header + payload;
    }
}

static void
run_websocket (const guint8 *data,
               gsize         len,
               guint8        mode)
{
  static const char event[] = "{\"type\":\"hello\",\"seq\":1}";
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data (g_memdup2 (data, len), len, g_free);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GIOStream) stream = g_simple_io_stream_new (in, out);
  gboolean closed = FALSE;
  PpdWebsocket *ws = ppd_websocket_new (stream, MAX_PENDING, closed_cb, &closed);
  guint iterations = 0;

  if (mode & 2)
    g_assert (ppd_websocket_send_text (ws, event, sizeof event - 1));
  /* Until the end of the input closes it, or ppd has sent a close and
   * waits (CLOSE_GRACE seconds) for the answer: what ppd does with a
   * client frame it refuses. */
  while (!closed && g_main_context_iteration (NULL, FALSE))
    {
      if ((mode & 4) && iterations == 1)
        (void) ppd_websocket_send_text (ws, event, sizeof event - 1);
      g_assert (++iterations < 10000);
    }
  g_assert (!ppd_websocket_is_open (ws));
  ppd_websocket_free (ws);
  /* Sources that were pending go with it. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  check_server_frames (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                       g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const guint8 *nul;
  guint8 mode;

  if (size < 1)
    return 0;
  mode = data[0];
  data++;
  size--;
  nul = memchr (data, '\0', size);
  check_request ((const char *) data, nul ? (gsize) (nul - data) : size, mode & 1,
                 nul ? nul + 1 : data + size, nul ? size - (nul + 1 - data) : 0);
  if (nul != NULL)
    run_websocket (nul + 1, size - (nul + 1 - data), mode);
  return 0;
}

/* ppd-http-control.c: what HTTP may change on ppd: POST /api/v1/workers
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ppd-http-private.h"
#include "ppd-json.h"
#include "ppd-options.h"

/* The worker count over HTTP, for whoever cannot reach ppd's D-Bus (a node
 * on the network, pp-monitor watching it over HTTP): a JSON body
 * {"workers": N}, N under the rule of D-Bus SetWorkers (ppd_check_workers(),
 * 1 to PPD_MAX_WORKERS). ppd-http.c's early handler has checked the token
 * and the Origin first; here, before the body is read: POST only, JSON,
 * at most CONTROL_MAX_BODY bytes announced by Content-Length; only then
 * is the body kept (ppd-http.c keeps none). */

#define CONTROL_PATH     "/api/v1/workers"
#define CONTROL_MAX_BODY 1024
#define MAX_BODY_DEPTH   8

/**
 * ppd_http_control_claims:
 * @path: a request's path
 *
 * Returns: whether @path is one of the control endpoints
 */
gboolean
ppd_http_control_claims (const char *path)
{
  return g_str_equal (path, CONTROL_PATH);
}

static gboolean
is_json (SoupMessageHeaders *headers)
{
  g_autoptr(GHashTable) params = NULL;
  const char *type = soup_message_headers_get_content_type (headers, &params);

  return type != NULL && g_ascii_strcasecmp (type, "application/json") == 0;
}

/**
 * ppd_http_control_check_request:
 * @msg: a request to a path ppd_http_control_claims(), its headers in
 *
 * Answers (and ends) a request that is not a small JSON POST.
 *
 * Returns: %TRUE when the body may be read and handled
 */
gboolean
ppd_http_control_check_request (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
      ppd_http_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                              "only POST is served here, with {\"workers\": N}");
      return FALSE;
    }
  if (!is_json (headers))
    {
      ppd_http_respond_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                              "the body must be JSON (Content-Type: application/json)");
      return FALSE;
    }
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      ppd_http_respond_error (msg, SOUP_STATUS_LENGTH_REQUIRED, "a Content-Length is needed");
      return FALSE;
    }
  if (soup_message_headers_get_content_length (headers) > CONTROL_MAX_BODY)
    {
      ppd_http_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                              "the body is too large (1024 bytes at most)");
      return FALSE;
    }
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), TRUE);
  return TRUE;
}

/**
 * ppd_http_control_parse_workers:
 * @body: a request's body
 * @workers: (out): N of {"workers": N}, the only member
 *
 * Returns: (transfer full) (nullable): why the body is refused, or %NULL
 */
char *
ppd_http_control_parse_workers (GBytes *body,
                                gint64 *workers)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize size;
  const char *data = g_bytes_get_data (body, &size);
  JsonNode *root, *member;
  JsonObject *object;

  if (size == 0 || !g_utf8_validate_len (data, size, NULL))
    return g_strdup ("the body must be a JSON object: {\"workers\": N}");
  /* Strict JSON, one value: JSON-GLib would take the first of "{}{}" and
   * leak the rest, and reads a lone surrogate escape as invalid UTF-8. */
  text = g_strndup (data, size);
  if (!ppd_json_check_object (text, MAX_BODY_DEPTH, &error))
    return g_strdup_printf ("the body is not JSON: %s", error->message);
  if (!json_parser_load_from_data (parser, text, size, &error))
    return g_strdup_printf ("the body is not JSON: %s", error->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return g_strdup ("the body must be a JSON object: {\"workers\": N}");
  object = json_node_get_object (root);
  member = json_object_get_member (object, "workers");
  if (member == NULL || json_object_get_size (object) != 1)
    return g_strdup ("the body must have one member, \"workers\": {\"workers\": N}");
  if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_INT64)
    return g_strdup ("\"workers\" must be an integer");
  *workers = json_node_get_int (member);
  return ppd_check_workers (*workers, FALSE, "\"workers\"");
}

static char *
workers_document (guint workers)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "workers");
  json_builder_add_int_value (builder, workers);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/**
 * ppd_http_control_serve:
 * @self: the server
 * @msg: a request that passed ppd_http_control_check_request(), its body in
 *
 * POST /api/v1/workers: sets the pool's worker count as D-Bus SetWorkers
 * does; 200 with {"workers": N}, or 400 with the reason.
 */
void
ppd_http_control_serve (PpdHttp           *self,
                        SoupServerMessage *msg)
{
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *problem = NULL;
  gint64 workers = 0;

  problem = ppd_http_control_parse_workers (body, &workers);
  if (problem != NULL)
    {
      ppd_http_respond_error (msg, SOUP_STATUS_BAD_REQUEST, problem);
      return;
    }
  pp_server_set_ncpus (self->pool, (guint) workers);
  ppd_http_respond_json (msg, SOUP_STATUS_OK, workers_document ((guint) workers));
}

/* ppd-http-page.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ppd-http-private.h"

/* GET /, /page.css, /page.js: the live page, compiled into ppd from
 * ppd-http.gresource.xml (no external assets). It holds no data, so it is
 * served without a token; it asks for one once, keeps it in the tab's
 * sessionStorage, and reads everything through the API and the events,
 * which need it. */

#define RESOURCE_PATH "/org/ppglib/ppd/page"

static const struct
{
  const char *path;
  const char *resource;
  const char *type;
} files[] = {
  { "/",           "index.html", "text/html; charset=utf-8" },
  { "/index.html", "index.html", "text/html; charset=utf-8" },
  { "/page.css",   "page.css",   "text/css; charset=utf-8" },
  { "/page.js",    "page.js",    "text/javascript; charset=utf-8" },
};

/* Returns: whether @path is the page's */
gboolean
ppd_http_page_serve (PpdHttp           *self,
                     SoupServerMessage *msg,
                     const char        *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GBytes) bytes = NULL;
      SoupMessageHeaders *headers;

      if (!g_str_equal (path, files[i].path))
        continue;
      name = g_strdup_printf ("%s/%s", RESOURCE_PATH, files[i].resource);
      bytes = g_resources_lookup_data (name, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_assert (bytes != NULL);
      headers = soup_server_message_get_response_headers (msg);
      soup_message_headers_replace (headers, "Content-Security-Policy",
                                    "default-src 'self'; connect-src 'self' ws: wss:; "
                                    "frame-ancestors 'none'");
      soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
      soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, files[i].type, SOUP_MEMORY_COPY,
                                        g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      return TRUE;
    }
  return FALSE;
}

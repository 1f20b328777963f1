/* ppm-token-store.c: ppd's HTTP tokens, asked once and kept with libsecret
 * (the user's keyring) under the node's URL; when no Secret Service
 * answers, for this run only
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "ppm-token-store.h"

static GHashTable *session_tokens;  /* url -> token, when the keyring is not there */

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "org.ppglib.Monitor.HttpToken", SECRET_SCHEMA_NONE,
    {
      { "url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "NULL", 0 },
    }
  };

  return &schema;
}

static GHashTable *
tokens (void)
{
  if (session_tokens == NULL)
    session_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return session_tokens;
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (token == NULL)
    {
      const char *kept = g_hash_table_lookup (tokens (), g_task_get_task_data (task));

      if (error)
        g_debug ("No token from the keyring: %s", error->message);
      token = g_strdup (kept);
    }
  g_task_return_pointer (task, token, g_free);
}

/* Gives NULL (no error) when no token is known for @url. */
void
ppm_token_store_lookup_async (const char          *url,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_task_data (task, g_strdup (url), g_free);
  secret_password_lookup (token_schema (), cancellable, lookup_cb, task, "url", url, NULL);
}

char *
ppm_token_store_lookup_finish (GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_debug ("The token stays for this run only: %s", error->message);
}

void
ppm_token_store_save (const char *url,
                      const char *token)
{
  g_autofree char *label = g_strdup_printf (_("ppd HTTP token for %s"), url);

  g_hash_table_insert (tokens (), g_strdup (url), g_strdup (token));
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, token, NULL,
                         store_cb, NULL, "url", url, NULL);
}

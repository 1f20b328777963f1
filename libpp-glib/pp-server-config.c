/* pp-server-config.c
 *
 * Resolving a server's settings: the interpreter, the runner, the
 * ppservers and the secret.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-error.h"
#include "pp-node-address-private.h"
#include "pp-secret.h"
#include "pp-secret-private.h"
#include "pp-server-private.h"

gboolean
_pp_server_resolve_python (PpServer  *self,
                GError   **error)
{
  const char *wanted = self->python;
  g_autofree char *path = NULL;

  if (wanted == NULL)
    wanted = g_getenv ("PP_PYTHON");
  if (wanted == NULL || *wanted == '\0')
    wanted = "python3";
  path = g_find_program_in_path (wanted);
  if (path == NULL)
    {
      g_set_error (error, PP_ERROR, PP_ERROR_NO_INTERPRETER,
                   "Python interpreter “%s” not found or not executable "
                   "(set PP_PYTHON or the “python” property)", wanted);
      return FALSE;
    }
  g_free (self->python);
  self->python = g_steal_pointer (&path);
  return TRUE;
}

gboolean
_pp_server_resolve_runner (PpServer  *self,
                GError   **error)
{
  const char *candidates[] = {
    self->runner, g_getenv ("PP_RUNNER"), PP_RUNNER_PATH, PP_RUNNER_SOURCE_PATH,
  };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *runner = NULL;

      if (candidates[i] == NULL || *candidates[i] == '\0')
        continue;
      if (!g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
        {
          if (i < 2)
            break;
          continue;
        }
      runner = g_strdup (candidates[i]);
      g_free (self->runner);
      self->runner = g_steal_pointer (&runner);
      return TRUE;
    }
  g_set_error (error, PP_ERROR, PP_ERROR_NO_INTERPRETER,
               "The pp-glib worker runner “%s” does not exist (set PP_RUNNER or the “runner” property)",
               self->runner ? self->runner : g_getenv ("PP_RUNNER") ? g_getenv ("PP_RUNNER")
                                                                     : PP_RUNNER_PATH);
  return FALSE;
}

/* A malformed entry is an error now, not a node retried forever. */
gboolean
_pp_server_check_ppservers (PpServer  *self,
                 GError   **error)
{
  for (guint i = 0; self->ppservers != NULL && self->ppservers[i] != NULL; i++)
    {
      g_autofree char *host_and_port = _pp_node_address_parse (self->ppservers[i],
                                                               PP_DEFAULT_PORT, error);

      if (host_and_port == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Without a secret of its own nor PP_SECRET, the server proves the
 * per-user one to the nodes it adds, as to its ppservers. */
gboolean
_pp_server_ensure_secret (PpServer  *self,
               GError   **error)
{
  const char *from_environment = g_getenv ("PP_SECRET");
  char *loaded;
  gboolean have;

  g_mutex_lock (&self->sched.lock);
  have = self->secret != NULL;
  g_mutex_unlock (&self->sched.lock);
  if (have || (from_environment != NULL && *from_environment != '\0'))
    return TRUE;
  loaded = pp_secret_load_default (error);
  if (loaded == NULL)
    return FALSE;
  g_mutex_lock (&self->sched.lock);
  if (self->secret == NULL)
    self->secret = g_steal_pointer (&loaded);
  g_mutex_unlock (&self->sched.lock);
  g_clear_pointer (&loaded, _pp_secret_free);
  return TRUE;
}

/* An empty secret is no secret; nodes in ppservers need one. */
gboolean
_pp_server_resolve_secret (PpServer  *self,
                GError   **error)
{
  if (self->secret != NULL && *self->secret == '\0')
    g_clear_pointer (&self->secret, _pp_secret_free);
  if (self->ppservers == NULL || self->ppservers[0] == NULL)
    return TRUE;
  return _pp_server_ensure_secret (self, error);
}

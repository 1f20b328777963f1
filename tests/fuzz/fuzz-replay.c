/* fuzz-replay.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>

/* Runs a libFuzzer target's LLVMFuzzerTestOneInput on every file of the
 * directories (or files) given, once each: the seed corpus as a regression
 * test, built with any compiler and whatever sanitizers the build uses. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint
replay_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("%s", error->message);
  /* A copy of exactly @length bytes, so that ASan sees any overread. */
  {
    g_autofree guint8 *data = g_memdup2 (contents, length);

    g_print ("# %s\n", path);
    LLVMFuzzerTestOneInput (data, length);
  }
  return 1;
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static guint
replay (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint n = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return replay_file (path);
  if ((dir = g_dir_open (path, 0, &error)) == NULL)
    g_error ("%s", error->message);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    n += replay (g_ptr_array_index (names, i));
  return n;
}

int
main (int   argc,
      char *argv[])
{
  guint n = 0;

  for (int i = 1; i < argc; i++)
    n += replay (argv[i]);
  if (n == 0)
    g_error ("no inputs to replay");
  g_print ("replayed %u inputs\n", n);
  return 0;
}

/* ppm-stats-table.c: pp's print_stats table as text, aligned in any language
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-json.h"
#include "ppm-stats-table.h"

/* Columns a string takes on a terminal or in a monospace font: CJK
 * characters take two, combining marks none (printf's widths count bytes,
 * which misaligns every translated header). */
guint
ppm_stats_table_display_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

static void
append_cell (GString    *out,
             const char *text,
             guint       width,
             gboolean    right_aligned)
{
  guint used = ppm_stats_table_display_width (text);
  guint pad = used < width ? width - used : 0;

  if (right_aligned)
    g_string_append_printf (out, "%*s", (int) pad, "");
  g_string_append (out, text);
  if (!right_aligned)
    g_string_append_printf (out, "%*s", (int) pad, "");
}

enum { N_NUMBER_COLUMNS = 4 };

/* One line of the table: four numbers (or headers) padded to their
 * columns, then the job server. */
static void
append_row (GString     *out,
            const char **cells,
            const guint *widths,
            gboolean     right_aligned,
            const char  *server)
{
  g_string_append_c (out, ' ');
  for (guint i = 0; i < N_NUMBER_COLUMNS; i++)
    {
      append_cell (out, cells[i], widths[i], right_aligned);
      g_string_append (out, " | ");
    }
  g_string_append (out, server);
  g_string_append_c (out, '\n');
}

static void
append_stats_row (GString     *out,
                  JsonObject  *row,
                  guint64      total,
                  const guint *widths)
{
  guint64 jobs = ppm_json_get_int (row, "jobs", 0);
  g_autofree char *count = g_strdup_printf ("%" G_GUINT64_FORMAT, jobs);
  g_autofree char *share = g_strdup_printf ("%.2f", total ? 100.0 * jobs / total : 0.0);
  g_autofree char *sum = g_strdup_printf ("%.4f", ppm_json_get_double (row, "time", 0));
  g_autofree char *mean = g_strdup_printf ("%.6f", ppm_json_get_double (row, "time_per_job", 0));
  const char *cells[N_NUMBER_COLUMNS] = { count, share, sum, mean };

  append_row (out, cells, widths, TRUE, ppm_json_get_string (row, "node", "?"));
}

/**
 * ppm_stats_table_format_with:
 * @status: a client status document
 * @headers: (array fixed-size=5): the five column headers
 *
 * pp's print_stats table (python/pp): job count, % of all jobs, job time
 * sum, time per job, job server; each column as wide as pp's or as its
 * header, whichever is wider, counted in display columns.
 *
 * Returns: (transfer full): the table
 */
char *
ppm_stats_table_format_with (JsonObject  *status,
                             const char **headers)
{
  static const guint pp_widths[N_NUMBER_COLUMNS] = { 9, 13, 12, 12 };
  GString *text = g_string_new (NULL);
  JsonArray *stats = ppm_json_get_array (status, "stats");
  guint64 total = 0, active = 0;
  guint64 ncpus = ppm_json_get_int (status, "ncpus", 0);
  guint n = ppm_json_array_get_length (stats);
  guint widths[N_NUMBER_COLUMNS];

  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = ppm_json_array_get_object (stats, i);

      total += ppm_json_get_int (row, "jobs", 0);
      active += ppm_json_get_int (row, "active", 0);
    }
  for (guint i = 0; i < N_NUMBER_COLUMNS; i++)
    widths[i] = MAX (pp_widths[i], ppm_stats_table_display_width (headers[i]));

  g_string_append (text, _("Job execution statistics:\n"));
  append_row (text, headers, widths, FALSE, headers[N_NUMBER_COLUMNS]);
  for (guint i = 0; i < n; i++)
    append_stats_row (text, ppm_json_array_get_object (stats, i), total, widths);
  g_string_append_printf (text, _("Time elapsed since server creation %.4f\n"),
                          ppm_json_get_double (status, "uptime", 0));
  g_string_append_printf (text, _("%llu active tasks, %llu cores\n"),
                          (unsigned long long) active, (unsigned long long) ncpus);
  return g_string_free (text, FALSE);
}

/**
 * ppm_stats_table_format:
 * @status: a client status document
 *
 * The table with the headers in the user's language.
 *
 * Returns: (transfer full): the table
 */
char *
ppm_stats_table_format (JsonObject *status)
{
  const char *headers[] = {
    _("job count"),
    /* xgettext:no-c-format */
    _("% of all jobs"),
    _("job time sum"),
    _("time per job"),
    _("job server"),
  };

  return ppm_stats_table_format_with (status, headers);
}

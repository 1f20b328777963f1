/* ppm-task-stream.c: a lane per worker grouped by node, a bar per job
 * coloured by function, drawn with GtkSnapshot on the frame clock; an
 * aggregate (busy share per cell) when jobs are too short to draw
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ppm-task-stream.h"

#define LABEL_WIDTH  150
#define LANE_HEIGHT  18
#define LANE_GAP     2
#define NODE_GAP     10
#define SPAN_USEC    (10 * G_USEC_PER_SEC)  /* the time the width shows */
#define MIN_BAR_PX   2.0
#define CELL_PX      4
#define AXIS_HEIGHT  18

struct _PpmTaskStream
{
  GtkWidget  parent_instance;
  PpmSource *source;
  guint      tick_id;
  gboolean   paused;
  gint64     paused_at;
  gint64     offset;      /* µs scrolled back from now */
  gboolean   aggregated;
  guint      drawn_bars;
  guint      last_lanes;
  gint64     stats_time;   /* PPM_FRAME_STATS: when the frame rate was last told */

  /* The axis and the lane labels change only with the lanes, the size
   * and the style: drawn once into a node. */
  GskRenderNode *static_node;
  int            static_width;
  int            static_height;
  guint          static_lanes;

  /* The aggregate changes once a cell's time has passed: drawn once per
   * cell into a node, moved by the fraction of a cell in between. */
  cairo_surface_t *agg_strip;
  int            agg_height;
  int            agg_scale;
  gint64         agg_bucket;
  int            agg_width;
  guint          agg_lanes;
  gint64         mode_time;    /* when aggregated was last decided */
};

G_DEFINE_FINAL_TYPE (PpmTaskStream, ppm_task_stream, GTK_TYPE_WIDGET)

enum {
  JOB_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const GdkRGBA palette[] = {
  { 0.21, 0.52, 0.89, 1 }, { 0.15, 0.64, 0.41, 1 }, { 0.96, 0.76, 0.07, 1 },
  { 0.90, 0.38, 0.00, 1 }, { 0.75, 0.11, 0.16, 1 }, { 0.57, 0.25, 0.67, 1 },
  { 0.39, 0.27, 0.18, 1 }, { 0.60, 0.76, 0.95, 1 }, { 0.56, 0.94, 0.64, 1 },
  { 0.86, 0.59, 0.43, 1 },
};

static const GdkRGBA *
colour_of (guint function)
{
  return &palette[function % G_N_ELEMENTS (palette)];
}

static gint64
view_end (PpmTaskStream *self)
{
  return (self->paused ? self->paused_at : g_get_monotonic_time ()) - self->offset;
}

static double
row_y (PpmTaskModel *tasks,
       guint         row)
{
  double y = 0;

  for (guint r = 1; r <= row; r++)
    {
      const char *a = ppm_task_model_get_lane_node (tasks, ppm_task_model_get_lane_at_row (tasks, r - 1));
      const char *b = ppm_task_model_get_lane_node (tasks, ppm_task_model_get_lane_at_row (tasks, r));

      y += LANE_HEIGHT + LANE_GAP + (g_strcmp0 (a, b) ? NODE_GAP : 0);
    }
  return y;
}

static void
draw_labels (PpmTaskStream *self,
             GtkSnapshot   *snapshot,
             PpmTaskModel  *tasks)
{
  GdkRGBA fg;
  const char *last_node = NULL;
  guint ordinal = 0;

  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
  for (guint row = 0; row < ppm_task_model_get_n_lanes (tasks); row++)
    {
      guint lane = ppm_task_model_get_lane_at_row (tasks, row);
      const char *node = ppm_task_model_get_lane_node (tasks, lane);
      guint worker = ppm_task_model_get_lane_worker (tasks, lane);
      g_autofree char *text = NULL;
      PangoLayout *layout;

      ordinal = g_strcmp0 (node, last_node) != 0 ? 1 : ordinal + 1;
      /* A local worker by its pid, a remote node's lanes by number. */
      if (ordinal == 1)
        text = worker ? g_strdup_printf (_("%s · pid %u"), node, worker) : g_strdup_printf ("%s · %u", node, ordinal);
      else
        text = worker ? g_strdup_printf (_("pid %u"), worker) : g_strdup_printf ("%u", ordinal);
      last_node = node;
      layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
      pango_layout_set_width (layout, (LABEL_WIDTH - 8) * PANGO_SCALE);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
      if (ordinal > 1)
        pango_layout_set_alignment (layout, PANGO_ALIGN_RIGHT);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (4, AXIS_HEIGHT + row_y (tasks, row) + 1));
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
      g_object_unref (layout);
    }
}

/* Ticks every second along the top, labelled every fifth ("-5 s", "now"). */
static void
draw_axis (PpmTaskStream *self,
           GtkSnapshot   *snapshot,
           double         width,
           double         height)
{
  GdkRGBA fg, tick;
  double px_per_s = (width - LABEL_WIDTH) / (SPAN_USEC / (double) G_USEC_PER_SEC);

  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
  tick = fg;
  tick.alpha = 0.12;
  for (int s = 0; s <= SPAN_USEC / G_USEC_PER_SEC; s++)
    {
      double x = width - s * px_per_s;

      gtk_snapshot_append_color (snapshot, &tick, &GRAPHENE_RECT_INIT (x - 1, AXIS_HEIGHT - 4, 1, height));
      if (s % 5 == 0)
        {
          g_autofree char *text = s ? g_strdup_printf (_("−%d s"), s) : g_strdup (_("now"));
          PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
          int w;

          pango_layout_get_pixel_size (layout, &w, NULL);
          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (MAX (LABEL_WIDTH, x - w - 2), 0));
          gtk_snapshot_append_layout (snapshot, layout, &fg);
          gtk_snapshot_restore (snapshot);
          g_object_unref (layout);
        }
    }
}

static void
draw_span (PpmTaskStream *self,
           GtkSnapshot   *snapshot,
           PpmTaskModel  *tasks,
           const PpmSpan *span,
           double        *rows_y,
           gint64         t0,
           double         px_per_us,
           double         width,
           gint64         now)
{
  gint64 end = span->end ? span->end : now;
  double x0 = LABEL_WIDTH + (span->start - t0) * px_per_us;
  double x1 = LABEL_WIDTH + (end - t0) * px_per_us;
  GdkRGBA colour = *colour_of (span->function);

  x0 = MAX (x0, LABEL_WIDTH);
  x1 = MIN (x1, width);
  if (x1 <= x0)
    return;
  if (span->state == PPM_JOB_FAILED || span->state == PPM_JOB_CANCELLED)
    colour.alpha = 0.35;
  gtk_snapshot_append_color (snapshot, &colour,
                             &GRAPHENE_RECT_INIT (x0, rows_y[ppm_task_model_get_row_of_lane (tasks, span->lane)],
                                                  MAX (1, x1 - x0 - 1), LANE_HEIGHT));
  self->drawn_bars++;
}

static void
draw_bars (PpmTaskStream *self,
           GtkSnapshot   *snapshot,
           PpmTaskModel  *tasks,
           double        *rows_y,
           gint64         t0,
           gint64         t1,
           double         width)
{
  double px_per_us = (width - LABEL_WIDTH) / (double) (t1 - t0);
  gint64 now = g_get_monotonic_time ();

  for (guint i = ppm_task_model_get_n_finished (tasks); i > 0; i--)
    {
      const PpmSpan *span = ppm_task_model_get_finished (tasks, i - 1);

      if (span->end < t0)
        break;
      if (span->start <= t1)
        draw_span (self, snapshot, tasks, span, rows_y, t0, px_per_us, width, now);
    }
  for (guint i = 0; i < ppm_task_model_get_n_running (tasks); i++)
    draw_span (self, snapshot, tasks, ppm_task_model_get_running (tasks, i), rows_y, t0, px_per_us,
               width, MIN (now, t1));
}

static void
invalidate (PpmTaskStream *self)
{
  g_clear_pointer (&self->static_node, gsk_render_node_unref);
  g_clear_pointer (&self->agg_strip, cairo_surface_destroy);
}

static GskRenderNode *
static_node (PpmTaskStream *self,
             PpmTaskModel  *tasks,
             int            width,
             int            height)
{
  guint n = ppm_task_model_get_n_lanes (tasks);
  GtkSnapshot *snapshot;

  if (self->static_node && self->static_width == width && self->static_height == height &&
      self->static_lanes == n)
    return self->static_node;
  g_clear_pointer (&self->static_node, gsk_render_node_unref);
  snapshot = gtk_snapshot_new ();
  draw_axis (self, snapshot, width, height);
  draw_labels (self, snapshot, tasks);
  self->static_node = gtk_snapshot_free_to_node (snapshot);
  self->static_width = width;
  self->static_height = height;
  self->static_lanes = n;
  return self->static_node;
}

/* Cells redrawn when a new one starts: jobs are signalled up to 100 ms
 * after they start or end, so the last few cells still change. */
#define AGG_REDRAWN_CELLS 6

static guint
n_buckets_of (int width)
{
  return MAX (1, (width - LABEL_WIDTH) / CELL_PX);
}

static gint64
bucket_width_of (int width)
{
  return MAX (1, SPAN_USEC / n_buckets_of (width));
}

static void
paint_cells (PpmTaskModel *tasks,
             cairo_t      *cr,
             double       *rows_y,
             gint64        start,
             gint64        bucket_width,
             guint         first,
             guint         count)
{
  g_autoptr(PpmAggregate) agg = ppm_task_model_aggregate (tasks, start + first * bucket_width,
                                                          start + (first + count) * bucket_width,
                                                          count, g_get_monotonic_time ());

  cairo_save (cr);
  cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
  cairo_rectangle (cr, first * CELL_PX, 0, count * CELL_PX, G_MAXINT16);
  cairo_fill (cr);
  cairo_restore (cr);
  for (guint row = 0; row < agg->n_lanes; row++)
    for (guint b = 0; b < count; b++)
      {
        guint cell = row * count + b;
        const GdkRGBA *colour;
        double h;

        if (agg->busy[cell] <= 0)
          continue;
        colour = colour_of (agg->function[cell]);
        h = MAX (1, LANE_HEIGHT * agg->busy[cell]);
        cairo_set_source_rgba (cr, colour->red, colour->green, colour->blue, colour->alpha);
        cairo_rectangle (cr, (first + b) * CELL_PX, rows_y[row] + LANE_HEIGHT - h, CELL_PX, h);
        cairo_fill (cr);
      }
}

/* The aggregate as a strip of cells, the last one holding @t1: scrolled
 * by whole cells as time passes, only the newest cells computed again
 * (the whole strip when the size, the lanes or the scale change). */
static cairo_surface_t *
aggregate_strip (PpmTaskStream *self,
                 PpmTaskModel  *tasks,
                 double        *rows_y,
                 gint64         t1,
                 int            width,
                 int            height)
{
  guint n_buckets = n_buckets_of (width);
  gint64 bucket_width = bucket_width_of (width);
  gint64 bucket = t1 / bucket_width;
  gint64 start = (bucket + 1 - n_buckets) * bucket_width;
  guint n = ppm_task_model_get_n_lanes (tasks);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  gint64 moved = bucket - self->agg_bucket;
  cairo_surface_t *strip;
  cairo_t *cr;

  if (self->agg_strip && moved == 0 && self->agg_width == width && self->agg_height == height &&
      self->agg_lanes == n && self->agg_scale == scale)
    return self->agg_strip;
  strip = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, n_buckets * CELL_PX * scale, height * scale);
  cairo_surface_set_device_scale (strip, scale, scale);
  cr = cairo_create (strip);
  if (self->agg_strip && self->agg_width == width && self->agg_height == height &&
      self->agg_lanes == n && self->agg_scale == scale && moved > 0 && moved < n_buckets)
    {
      guint fresh = MIN (n_buckets, moved + AGG_REDRAWN_CELLS);

      cairo_set_source_surface (cr, self->agg_strip, -(double) moved * CELL_PX, 0);
      cairo_paint (cr);
      paint_cells (tasks, cr, rows_y, start, bucket_width, n_buckets - fresh, fresh);
    }
  else
    paint_cells (tasks, cr, rows_y, start, bucket_width, 0, n_buckets);
  cairo_destroy (cr);
  g_clear_pointer (&self->agg_strip, cairo_surface_destroy);
  self->agg_strip = strip;
  self->agg_bucket = bucket;
  self->agg_width = width;
  self->agg_height = height;
  self->agg_lanes = n;
  self->agg_scale = scale;
  return strip;
}

static void
draw_aggregate (PpmTaskStream *self,
                GtkSnapshot   *snapshot,
                PpmTaskModel  *tasks,
                double        *rows_y,
                gint64         t1,
                int            width)
{
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  guint n_buckets = n_buckets_of (width);
  cairo_surface_t *strip = aggregate_strip (self, tasks, rows_y, t1, width, height);
  double x = width - (double) n_buckets * CELL_PX;
  cairo_t *cr;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x, 0, n_buckets * CELL_PX, height));
  cairo_set_source_surface (cr, strip, x, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
  self->drawn_bars++;
}

static void
ppm_task_stream_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  PpmTaskStream *self = PPM_TASK_STREAM (widget);
  PpmTaskModel *tasks;
  int width = gtk_widget_get_width (widget);
  gint64 t1 = view_end (self), t0 = t1 - SPAN_USEC;
  gint64 now = g_get_monotonic_time ();
  guint n;
  g_autofree double *rows_y = NULL;

  self->drawn_bars = 0;
  if (self->source == NULL || width <= LABEL_WIDTH)
    return;
  tasks = ppm_source_get_tasks (self->source);
  n = ppm_task_model_get_n_lanes (tasks);
  rows_y = g_new (double, MAX (n, 1));
  for (guint r = 0; r < n; r++)
    rows_y[r] = AXIS_HEIGHT + row_y (tasks, r);
  gtk_snapshot_append_node (snapshot, static_node (self, tasks, width, gtk_widget_get_height (widget)));
  /* Jobs shorter than two pixels are drawn as an aggregate (decided four
   * times a second: the median costs a sort). */
  if (now - self->mode_time >= G_USEC_PER_SEC / 4 || self->paused)
    {
      double median = ppm_task_model_get_median_time (tasks, t0);

      self->aggregated = median > 0 && median * (width - LABEL_WIDTH) / SPAN_USEC < MIN_BAR_PX;
      self->mode_time = now;
    }
  if (self->aggregated)
    draw_aggregate (self, snapshot, tasks, rows_y, t1, width);
  else
    draw_bars (self, snapshot, tasks, rows_y, t0, t1, width);
}

static void
ppm_task_stream_css_changed (GtkWidget         *widget,
                             GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (ppm_task_stream_parent_class)->css_changed (widget, change);
  invalidate (PPM_TASK_STREAM (widget));
}

static void
ppm_task_stream_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  PpmTaskStream *self = PPM_TASK_STREAM (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = LABEL_WIDTH + 100;
      *natural = LABEL_WIDTH + 600;
    }
  else
    {
      PpmTaskModel *tasks = self->source ? ppm_source_get_tasks (self->source) : NULL;
      guint n = tasks ? ppm_task_model_get_n_lanes (tasks) : 0;

      *minimum = *natural = AXIS_HEIGHT + (n ? (int) row_y (tasks, n - 1) + LANE_HEIGHT : LANE_HEIGHT);
    }
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  PpmTaskStream *self = PPM_TASK_STREAM (widget);
  guint lanes = self->source ? ppm_task_model_get_n_lanes (ppm_source_get_tasks (self->source)) : 0;

  if (lanes != self->last_lanes)
    {
      self->last_lanes = lanes;
      gtk_widget_queue_resize (widget);
    }
  if (!self->paused)
    {
      /* The aggregate moves by whole cells: a frame per cell is enough. */
      gint64 bucket = g_get_monotonic_time () / bucket_width_of (gtk_widget_get_width (widget));

      if (!self->aggregated || bucket != self->agg_bucket)
        gtk_widget_queue_draw (widget);
    }
  /* For bench/bench_monitor.py: the frame rate the stream keeps. */
  if (G_UNLIKELY (g_getenv ("PPM_FRAME_STATS")))
    {
      gint64 now = gdk_frame_clock_get_frame_time (clock);

      if (now - self->stats_time >= 5 * G_USEC_PER_SEC)
        {
          if (self->stats_time)
            g_message ("frame-stats fps=%.1f bars=%u lanes=%u aggregated=%d",
                       gdk_frame_clock_get_fps (clock), self->drawn_bars, lanes, self->aggregated);
          self->stats_time = now;
        }
    }
  return G_SOURCE_CONTINUE;
}

static const PpmSpan *
span_at (PpmTaskStream *self,
         double         x,
         double         y)
{
  PpmTaskModel *tasks = ppm_source_get_tasks (self->source);
  gint64 t1 = view_end (self), t0 = t1 - SPAN_USEC;
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  gint64 t = t0 + (x - LABEL_WIDTH) * SPAN_USEC / (width - LABEL_WIDTH);
  guint n = ppm_task_model_get_n_lanes (tasks);
  guint lane = G_MAXUINT;

  for (guint r = 0; r < n; r++)
    if (y >= AXIS_HEIGHT + row_y (tasks, r) && y < AXIS_HEIGHT + row_y (tasks, r) + LANE_HEIGHT)
      lane = ppm_task_model_get_lane_at_row (tasks, r);
  if (lane == G_MAXUINT)
    return NULL;
  for (guint i = 0; i < ppm_task_model_get_n_running (tasks); i++)
    {
      const PpmSpan *s = ppm_task_model_get_running (tasks, i);

      if (s->lane == lane && s->start <= t)
        return s;
    }
  for (guint i = ppm_task_model_get_n_finished (tasks); i > 0; i--)
    {
      const PpmSpan *s = ppm_task_model_get_finished (tasks, i - 1);

      if (s->end < t0)
        break;
      if (s->lane == lane && s->start <= t && s->end >= t)
        return s;
    }
  return NULL;
}

static gboolean
query_tooltip_cb (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  PpmTaskStream *self = PPM_TASK_STREAM (widget);
  const PpmSpan *span;
  PpmTaskModel *tasks;
  g_autofree char *text = NULL;
  gint64 end;

  if (self->source == NULL || x < LABEL_WIDTH || (span = span_at (self, x, y)) == NULL)
    return FALSE;
  tasks = ppm_source_get_tasks (self->source);
  end = span->end ? span->end : g_get_monotonic_time ();
  text = g_strdup_printf (_("Job %llu\nFunction: %s\nGroup: %s\nNode: %s\n%s for %.3f s"),
                          (unsigned long long) span->id, ppm_task_model_get_string (tasks, span->function),
                          ppm_task_model_get_string (tasks, span->group),
                          ppm_task_model_get_lane_node (tasks, span->lane),
                          span->end ? _("Ran") : _("Running"),
                          (end - span->start) / (double) G_USEC_PER_SEC);
  if (span->end == 0 && (ppm_source_can (self->source, "cancel-job") ||
                         ppm_source_can (self->source, "cancel-group")))
    {
      char *with_hint = g_strconcat (text, "\n", _("Click to cancel it or its group"), NULL);

      g_free (text);
      text = with_hint;
    }
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/**
 * ppm_task_stream_activate_at:
 * @self: the stream
 * @x: (in widget coordinates)
 * @y: (in widget coordinates)
 *
 * What a click does: on a running job's bar, emits ::job-activated with
 * the job's id, its group and where to point (its bar under @x, @y).
 *
 * Returns: whether a running job was there
 */
gboolean
ppm_task_stream_activate_at (PpmTaskStream *self,
                             double         x,
                             double         y)
{
  const PpmSpan *span;

  if (self->source == NULL || x < LABEL_WIDTH || (span = span_at (self, x, y)) == NULL ||
      span->end != 0)
    return FALSE;
  g_signal_emit (self, signals[JOB_ACTIVATED], 0, span->id,
                 ppm_task_model_get_string (ppm_source_get_tasks (self->source), span->group), x, y);
  return TRUE;
}

/**
 * ppm_task_stream_locate_job:
 * @self: the stream
 * @id: a running job's id
 * @x: (out): where its bar is drawn
 * @y: (out)
 *
 * Returns: whether job @id runs and its bar is in view
 */
gboolean
ppm_task_stream_locate_job (PpmTaskStream *self,
                            guint64        id,
                            double        *x,
                            double        *y)
{
  PpmTaskModel *tasks = self->source ? ppm_source_get_tasks (self->source) : NULL;
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  gint64 t1 = view_end (self), t0 = t1 - SPAN_USEC;

  for (guint i = 0; tasks && width > LABEL_WIDTH && i < ppm_task_model_get_n_running (tasks); i++)
    {
      const PpmSpan *s = ppm_task_model_get_running (tasks, i);
      gint64 start = MAX (s->start, t0);

      if (s->id != id || start >= t1)
        continue;
      *x = LABEL_WIDTH + ((start + t1) / 2 - t0) * (width - LABEL_WIDTH) / SPAN_USEC;
      *y = AXIS_HEIGHT + row_y (tasks, ppm_task_model_get_row_of_lane (tasks, s->lane)) + LANE_HEIGHT / 2.0;
      return TRUE;
    }
  return FALSE;
}

static void
pressed_cb (GtkGestureClick *gesture,
            int              n_press,
            double           x,
            double           y,
            PpmTaskStream   *self)
{
  if (n_press == 1 && ppm_task_stream_activate_at (self, x, y))
    gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           PpmTaskStream            *self)
{
  double delta = dx != 0 ? dx : dy;

  if (!self->paused)
    ppm_task_stream_set_paused (self, TRUE);
  self->offset = CLAMP (self->offset + (gint64) (delta * G_USEC_PER_SEC), 0, (gint64) 3600 * G_USEC_PER_SEC);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

/* Its popovers (the stream view's job actions) are placed here. */
static void
ppm_task_stream_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER (child))
      gtk_popover_present (GTK_POPOVER (child));
}

static void
ppm_task_stream_dispose (GObject *object)
{
  PpmTaskStream *self = PPM_TASK_STREAM (object);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  if (self->tick_id)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
  invalidate (self);
  g_clear_object (&self->source);
  G_OBJECT_CLASS (ppm_task_stream_parent_class)->dispose (object);
}

static void
ppm_task_stream_class_init (PpmTaskStreamClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ppm_task_stream_dispose;
  widget_class->snapshot = ppm_task_stream_snapshot;
  widget_class->measure = ppm_task_stream_measure;
  widget_class->size_allocate = ppm_task_stream_size_allocate;
  widget_class->css_changed = ppm_task_stream_css_changed;
  gtk_widget_class_set_css_name (widget_class, "taskstream");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);

  /**
   * PpmTaskStream::job-activated:
   * @id: the running job's id
   * @group: its group
   * @x: where it was clicked
   * @y:
   *
   * A running job's bar was clicked (any button): its actions.
   */
  signals[JOB_ACTIVATED] = g_signal_new ("job-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_UINT64,
                                         G_TYPE_STRING, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
}

static void
ppm_task_stream_init (PpmTaskStream *self)
{
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  /* Any button on a running job's bar: its popover (cancel it, its group). */
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), 0);
  g_signal_connect (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Task stream"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("A lane per worker, a bar per job; click a running job to cancel it"), -1);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
}

void
ppm_task_stream_set_source (PpmTaskStream *self,
                            PpmSource     *source)
{
  if (self->source != source)
    invalidate (self);
  g_set_object (&self->source, source);
  self->offset = 0;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* Paused, the stream stops moving; scrolling moves back through history. */
void
ppm_task_stream_set_paused (PpmTaskStream *self,
                            gboolean       paused)
{
  if (self->paused == paused)
    return;
  self->paused = paused;
  self->paused_at = g_get_monotonic_time ();
  if (!paused)
    self->offset = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
ppm_task_stream_get_paused (PpmTaskStream *self)
{
  return self->paused;
}

gboolean
ppm_task_stream_get_aggregated (PpmTaskStream *self)
{
  return self->aggregated;
}

/* Bars (or aggregate cells) of the last frame: what the tests look at. */
guint
ppm_task_stream_get_drawn_bars (PpmTaskStream *self)
{
  return self->drawn_bars;
}

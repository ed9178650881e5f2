// A small SVG writer for log-log line plots: axes with decade (and 2, 5) ticks and
// labels, any number of series drawn as lines with point markers, a legend, and
// vertical marker lines at given x values with a label. No external libraries; the
// document is self-contained (no scripts, no external fonts or images).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace tandem {

struct PlotSeries {
  std::string label;
  std::string color;                              // any SVG colour, e.g. "#1f77b4"
  std::vector<std::pair<double, double>> points;  // (x, y), both > 0; drawn in x order
};

struct PlotMarker {
  double x = 0;
  std::string label;  // written beside the line
};

struct LogLogPlot {
  std::string title, subtitle, x_label, y_label;  // the subtitle is a smaller line under the title
  std::vector<PlotSeries> series;
  std::vector<PlotMarker> markers;
  int width = 640, height = 400;
};

// The SVG document. Points with x or y <= 0 are left out; an empty plot still gives
// a valid document with axes over [1, 10].
std::string render_svg(const LogLogPlot& plot);
// Writes render_svg(plot) to `path`; throws Error(Io) when it cannot.
void write_svg(const LogLogPlot& plot, const std::string& path);

// The tick values of a log axis over [lo, hi]: 1, 2, 5 x 10^k when that gives at
// most `max_ticks`, else powers of ten only (thinned to fit); lo and hi positive.
std::vector<double> log_ticks(double lo, double hi, int max_ticks = 10);
// "1", "20", "500", "2k", "1.5M": a short label for a tick.
std::string tick_label(double value);
// Escapes &, <, >, " and ' for SVG text and attributes.
std::string xml_escape(const std::string& text);

}  // namespace tandem

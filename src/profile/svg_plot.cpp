// Log-log line plots as SVG text: frame, ticks, grid, series, legend, markers.
#include "profile/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "tandem/error.h"

namespace tandem {

namespace {

constexpr double kLeft = 70, kRight = 20, kTop = 48, kBottom = 50;  // margins, px

struct Range {
  double lo = 1, hi = 10;
};

// The data range of x (or y) over all series (and x markers), padded by a few percent
// on the log scale; [1, 10] when there is no data.
Range range_of(const LogLogPlot& plot, bool x_axis) {
  double lo = INFINITY, hi = -INFINITY;
  auto take = [&](double v) {
    if (!(v > 0) || !std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  };
  for (const PlotSeries& s : plot.series)
    for (const auto& [x, y] : s.points)
      if (x > 0 && y > 0) take(x_axis ? x : y);
  if (x_axis)
    for (const PlotMarker& m : plot.markers) take(m.x);
  if (!(lo <= hi)) return {};
  if (lo == hi) return {lo / 2, hi * 2};
  double pad = std::pow(hi / lo, 0.04);
  return {lo / pad, hi * pad};
}

// Maps a value on a log axis to pixels between p0 (at lo) and p1 (at hi).
double to_pixel(double v, Range r, double p0, double p1) {
  double t = (std::log(v) - std::log(r.lo)) / (std::log(r.hi) - std::log(r.lo));
  return p0 + t * (p1 - p0);
}

std::string axes_svg(const LogLogPlot& plot, Range xr, Range yr) {
  const double x0 = kLeft, x1 = plot.width - kRight, y0 = plot.height - kBottom, y1 = kTop;
  std::string out = fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" stroke="#333"/>)",
                                x0, y1, x1 - x0, y0 - y1) + "\n";
  for (double t : log_ticks(xr.lo, xr.hi)) {
    double px = to_pixel(t, xr, x0, x1);
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#ddd"/>)", px, y0, y1) + "\n";
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)", px, y0 + 16, tick_label(t)) + "\n";
  }
  for (double t : log_ticks(yr.lo, yr.hi)) {
    double py = to_pixel(t, yr, y0, y1);
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{2:.1f}" x2="{1:.1f}" y2="{2:.1f}" stroke="#ddd"/>)", x0, x1, py) + "\n";
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end">{}</text>)", x0 - 6, py + 4, tick_label(t)) + "\n";
  }
  out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)", (x0 + x1) / 2, plot.height - 12.0,
                     xml_escape(plot.x_label)) + "\n";
  out += fmt::format(R"svg(<text x="16" y="{0:.1f}" text-anchor="middle" transform="rotate(-90 16 {0:.1f})">{1}</text>)svg",
                     (y0 + y1) / 2, xml_escape(plot.y_label)) + "\n";
  out += fmt::format(R"(<text x="{:.1f}" y="20" text-anchor="middle" font-size="14">{}</text>)", (x0 + x1) / 2,
                     xml_escape(plot.title)) + "\n";
  if (!plot.subtitle.empty())
    out += fmt::format(R"(<text x="{:.1f}" y="37" text-anchor="middle" fill="#555">{}</text>)", (x0 + x1) / 2,
                       xml_escape(plot.subtitle)) + "\n";
  return out;
}

std::string series_svg(const LogLogPlot& plot, const PlotSeries& s, Range xr, Range yr) {
  const double x0 = kLeft, x1 = plot.width - kRight, y0 = plot.height - kBottom, y1 = kTop;
  std::vector<std::pair<double, double>> points;
  for (const auto& [x, y] : s.points)
    if (x > 0 && y > 0) points.emplace_back(x, y);
  std::sort(points.begin(), points.end());
  std::string path, dots;
  for (const auto& [x, y] : points) {
    double px = to_pixel(x, xr, x0, x1), py = to_pixel(y, yr, y0, y1);
    path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "" : " ", px, py);
    dots += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="2.5" fill="{}"/>)", px, py, xml_escape(s.color)) + "\n";
  }
  std::string label = xml_escape(s.label);
  return fmt::format(R"(<g class="series"><title>{}</title>)", label) + "\n" +
         fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"/>)", path, xml_escape(s.color)) +
         "\n" + dots + "</g>\n";
}

std::string legend_svg(const LogLogPlot& plot) {
  std::string out;
  double y = kTop + 14;
  for (const PlotSeries& s : plot.series) {
    double x = kLeft + 10;
    out += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="2"/>)", x, y - 4,
                       x + 18, y - 4, xml_escape(s.color)) + "\n";
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{}</text>)", x + 24, y, xml_escape(s.label)) + "\n";
    y += 16;
  }
  return out;
}

std::string markers_svg(const LogLogPlot& plot, Range xr) {
  const double x0 = kLeft, x1 = plot.width - kRight, y0 = plot.height - kBottom, y1 = kTop;
  std::string out;
  double label_y = y0 - 8;  // each further label one line higher, so that close ones do not overlap
  for (const PlotMarker& m : plot.markers) {
    if (!(m.x > 0)) continue;
    double px = to_pixel(m.x, xr, x0, x1);
    out += fmt::format(R"(<g class="marker"><line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#d62728" )"
                       R"(stroke-dasharray="5,3" stroke-width="1.5"/>)", px, y0, y1) + "\n";
    bool right_half = px > (x0 + x1) / 2;
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="{}" fill="#d62728">{}</text></g>)",
                       right_half ? px - 4 : px + 4, label_y, right_half ? "end" : "start", xml_escape(m.label)) + "\n";
    label_y -= 14;
  }
  return out;
}

}  // namespace

std::vector<double> log_ticks(double lo, double hi, int max_ticks) {
  std::vector<double> with_steps, decades;
  for (int e = static_cast<int>(std::floor(std::log10(lo))); e <= static_cast<int>(std::ceil(std::log10(hi))); ++e) {
    double decade = std::pow(10.0, e);
    for (double step : {1.0, 2.0, 5.0}) {
      double v = step * decade;
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
      with_steps.push_back(v);
      if (step == 1.0) decades.push_back(v);
    }
  }
  if (static_cast<int>(with_steps.size()) <= max_ticks) return with_steps;
  if (static_cast<int>(decades.size()) <= max_ticks) return decades;
  std::vector<double> thinned;
  size_t every = (decades.size() + static_cast<size_t>(max_ticks) - 1) / static_cast<size_t>(max_ticks);
  for (size_t i = 0; i < decades.size(); i += every) thinned.push_back(decades[i]);
  return thinned;
}

std::string tick_label(double value) {
  if (value >= 1e6) return fmt::format("{:.3g}M", value / 1e6);
  if (value >= 1e3) return fmt::format("{:.3g}k", value / 1e3);
  return fmt::format("{:.3g}", value);
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_svg(const LogLogPlot& plot) {
  Range xr = range_of(plot, true), yr = range_of(plot, false);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
                     R"(font-family="sans-serif" font-size="11">)", plot.width, plot.height) + "\n";
  out += R"(<rect width="100%" height="100%" fill="white"/>)" "\n";
  out += axes_svg(plot, xr, yr);
  for (const PlotSeries& s : plot.series) out += series_svg(plot, s, xr, yr);
  out += markers_svg(plot, xr);
  out += legend_svg(plot);
  out += "</svg>\n";
  return out;
}

void write_svg(const LogLogPlot& plot, const std::string& path) {
  std::ofstream out(path);
  if (!out) fail(ErrorKind::Io, "cannot write plot '" + path + "'");
  out << render_svg(plot);
  if (!out) fail(ErrorKind::Io, "failed writing plot '" + path + "'");
}

}  // namespace tandem

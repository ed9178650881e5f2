// Plan timelines and placement graphs as SVG text. Layout: title, legend, timeline
// lanes with a linear µs axis, then the graph in rows by depth (longest path from
// the graph inputs), boxes coloured by device.
#include "plan/plan_svg.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "plan/explain.h"
#include "profile/svg_plot.h"
#include "tandem/error.h"

namespace tandem {

namespace {

constexpr double kLeft = 130, kRight = 20, kMinWidth = 1000;
constexpr double kLaneHeight = 24, kBoxHeight = 18;
constexpr double kNodeWidth = 150, kNodeHeight = 22, kNodeGap = 12, kRowGap = 26;
constexpr double kCharWidth = 6.5;  // of the 11 px sans-serif labels, roughly

const char* device_color(int device) {
  static const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  return device < 0 ? "#bbbbbb" : palette[static_cast<size_t>(device) % 8];
}

std::string place_name(const Plan& plan, int place) {
  return place < 0 ? "host" : plan.devices.at(static_cast<size_t>(place));
}

// A label cut to fit `width` px, or empty when not even three characters fit.
std::string fitted_label(const std::string& text, double width) {
  auto chars = static_cast<size_t>(std::max(0.0, (width - 4) / kCharWidth));
  if (chars < 3) return "";
  return text.size() <= chars ? text : text.substr(0, chars - 1) + "~";
}

std::string box(double x, double y, double w, double h, const std::string& fill, const std::string& label,
                const std::string& title, double opacity = 1) {
  std::string out = fmt::format(R"(<g><title>{}</title><rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" )"
                                R"(fill-opacity="{}" stroke="#333" stroke-width="0.5"/>)",
                                xml_escape(title), x, y, std::max(w, 0.5), h, fill, opacity);
  std::string text = fitted_label(label, w);
  if (!text.empty())
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" fill="#000">{}</text>)", x + 2, y + h / 2 + 4, xml_escape(text));
  return out + "</g>\n";
}

// Timeline lanes: every device, then each link a copy uses, in device order.
struct Lanes {
  std::vector<std::string> names;
  std::map<std::string, size_t> index;
  void add(const std::string& name) {
    if (index.emplace(name, names.size()).second) names.push_back(name);
  }
};

std::string copy_lane(const Plan& plan, const PlannedCopy& c) {
  return c.from >= 0 ? place_name(plan, c.from) + " → host" : "host → " + place_name(plan, c.to);
}

Lanes timeline_lanes(const Plan& plan) {
  Lanes lanes;
  for (const std::string& d : plan.devices) lanes.add(d);
  for (size_t d = 0; d < plan.devices.size(); ++d)
    for (bool to_host : {false, true})
      for (const PlannedCopy& c : plan.copies)
        if (to_host ? c.from == static_cast<int>(d) : (c.from < 0 && c.to == static_cast<int>(d))) {
          lanes.add(copy_lane(plan, c));
          break;
        }
  return lanes;
}

// 1, 2 or 5 x 10^k: about ten steps over `span`.
double tick_step(double span) {
  double raw = span / 10, magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

double timeline_end(const Plan& plan) {
  double end = plan.makespan_us;
  for (const PlannedNode& n : plan.nodes) end = std::max(end, n.finish_us);
  for (const PlannedCopy& c : plan.copies) end = std::max(end, c.finish_us);
  return end > 0 ? end : 1;
}

struct TimeAxis {
  double x0, x1, end_us;
  double x(double us) const { return x0 + (x1 - x0) * us / end_us; }
};

std::string axis_svg(const TimeAxis& axis, double top, double bottom) {
  std::string out;
  double step = tick_step(axis.end_us);
  for (double t = 0; t <= axis.end_us * (1 + 1e-9); t += step) {
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#e4e4e4"/>)", axis.x(t), top, bottom) + "\n";
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{:g}</text>)", axis.x(t), bottom + 14, t) + "\n";
  }
  out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">time (µs)</text>)", (axis.x0 + axis.x1) / 2,
                     bottom + 30) + "\n";
  return out;
}

std::string node_title(const Graph& graph, const Plan& plan, const PlannedNode& n) {
  const Node& node = graph.nodes.at(static_cast<size_t>(n.node));
  return fmt::format("{} ({}) on {}: {:.1f}-{:.1f} µs ({})", node.name, op_label(node), place_name(plan, n.device),
                     n.start_us, n.finish_us, format_microseconds(n.finish_us - n.start_us));
}

// The timeline section from y = top; returns its SVG and sets `bottom` below the axis.
std::string timeline_svg(const Graph& graph, const Plan& plan, double width, double top, double* bottom) {
  Lanes lanes = timeline_lanes(plan);
  TimeAxis axis{kLeft, width - kRight, timeline_end(plan)};
  double lanes_bottom = top + kLaneHeight * static_cast<double>(lanes.names.size());
  std::string out = axis_svg(axis, top, lanes_bottom);
  for (size_t i = 0; i < lanes.names.size(); ++i) {
    double y = top + kLaneHeight * static_cast<double>(i);
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end" class="lane">{}</text>)", kLeft - 8,
                       y + kLaneHeight / 2 + 4, xml_escape(lanes.names[i])) + "\n";
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#ccc"/>)", kLeft, y + kLaneHeight,
                       width - kRight) + "\n";
  }
  const double pad = (kLaneHeight - kBoxHeight) / 2;
  for (const PlannedNode& n : plan.nodes) {
    double y = top + kLaneHeight * static_cast<double>(lanes.index.at(place_name(plan, n.device))) + pad;
    out += box(axis.x(n.start_us), y, axis.x(n.finish_us) - axis.x(n.start_us), kBoxHeight, device_color(n.device),
               graph.nodes.at(static_cast<size_t>(n.node)).name, node_title(graph, plan, n));
  }
  for (const PlannedCopy& c : plan.copies) {
    std::string lane = copy_lane(plan, c);
    double y = top + kLaneHeight * static_cast<double>(lanes.index.at(lane)) + pad;
    std::string title = fmt::format("copy {} ({:.0f} bytes) {}: {:.1f}-{:.1f} µs", graph.value(c.value).name, c.bytes, lane,
                                    c.start_us, c.finish_us);
    out += box(axis.x(c.start_us), y, axis.x(c.finish_us) - axis.x(c.start_us), kBoxHeight,
               device_color(c.from >= 0 ? c.from : c.to), graph.value(c.value).name, title, 0.45);
  }
  *bottom = lanes_bottom + 40;
  return out;
}

// Depth of every node: 0 when it reads only graph inputs and constants, else one more
// than its deepest producer.
std::vector<int> node_depths(const Graph& graph) {
  std::vector<int> producers = graph.producers(), depth(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int v : graph.nodes[n].inputs) {
      int p = v == kNoValue ? -1 : producers[static_cast<size_t>(v)];
      if (p >= 0) depth[n] = std::max(depth[n], depth[static_cast<size_t>(p)] + 1);
    }
  return depth;
}

struct NodeBox {
  double x = 0, y = 0;
};

// Box positions by depth rows, each row centred in `width`.
std::vector<NodeBox> graph_layout(const Graph& graph, double width, double top) {
  std::vector<int> depth = node_depths(graph);
  std::map<int, std::vector<size_t>> rows;
  for (size_t n = 0; n < graph.nodes.size(); ++n) rows[depth[n]].push_back(n);
  std::vector<NodeBox> boxes(graph.nodes.size());
  for (const auto& [row, nodes] : rows) {
    double row_width = static_cast<double>(nodes.size()) * (kNodeWidth + kNodeGap) - kNodeGap;
    double x = (width - row_width) / 2;
    for (size_t n : nodes) {
      boxes[n] = {x, top + static_cast<double>(row) * (kNodeHeight + kRowGap)};
      x += kNodeWidth + kNodeGap;
    }
  }
  return boxes;
}

size_t widest_row(const Graph& graph) {
  std::map<int, size_t> counts;
  for (int d : node_depths(graph)) ++counts[d];
  size_t widest = 0;
  for (const auto& [row, count] : counts) widest = std::max(widest, count);
  return widest;
}

std::string graph_svg(const Graph& graph, const Plan& plan, double width, double top, double* bottom) {
  std::vector<NodeBox> boxes = graph_layout(graph, width, top);
  std::vector<int> producers = graph.producers();
  std::string out;
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int v : graph.nodes[n].inputs) {
      int p = v == kNoValue ? -1 : producers[static_cast<size_t>(v)];
      if (p < 0) continue;
      const NodeBox &from = boxes[static_cast<size_t>(p)], &to = boxes[n];
      out += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#888"/>)", from.x + kNodeWidth / 2,
                         from.y + kNodeHeight, to.x + kNodeWidth / 2, to.y) + "\n";
    }
  *bottom = top;
  for (const PlannedNode& n : plan.nodes) {
    const NodeBox& b = boxes.at(static_cast<size_t>(n.node));
    const Node& node = graph.nodes[static_cast<size_t>(n.node)];
    out += box(b.x, b.y, kNodeWidth, kNodeHeight, device_color(n.device), node.name + " " + op_label(node),
               node_title(graph, plan, n), 0.8);
    *bottom = std::max(*bottom, b.y + kNodeHeight);
  }
  return out;
}

std::string legend_svg(const Plan& plan, double y) {
  std::string out;
  double x = kLeft;
  for (size_t d = 0; d < plan.devices.size(); ++d) {
    out += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="12" height="12" fill="{}"/>)", x, y - 10,
                       device_color(static_cast<int>(d)));
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{}</text>)", x + 16, y, xml_escape(plan.devices[d])) + "\n";
    x += 30 + kCharWidth * static_cast<double>(plan.devices[d].size());
  }
  return out;
}

}  // namespace

std::string plan_svg(const Graph& graph, const Plan& plan) {
  double width = std::max(kMinWidth, static_cast<double>(widest_row(graph)) * (kNodeWidth + kNodeGap) + 2 * kNodeGap);
  std::string body = fmt::format(R"(<text x="{:.1f}" y="22" font-size="14">{}</text>)", kLeft,
                                 xml_escape(fmt::format("{}: plan for batch {} ({}), predicted {}", plan.model, plan.batch,
                                                        plan.strategy, format_microseconds(plan.makespan_us)))) + "\n";
  body += legend_svg(plan, 44);
  double timeline_bottom = 0, graph_bottom = 0;
  body += timeline_svg(graph, plan, width, 60, &timeline_bottom);
  body += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="13">graph, coloured by device</text>)", kLeft,
                      timeline_bottom + 20) + "\n";
  body += graph_svg(graph, plan, width, timeline_bottom + 36, &graph_bottom);
  double height = graph_bottom + 20;
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" )"
                     R"(font-family="sans-serif" font-size="11">)", width, height) + "\n" +
         fmt::format(R"(<rect width="{:.0f}" height="{:.0f}" fill="#fff"/>)", width, height) + "\n" + body + "</svg>\n";
}

void write_plan_svg(const Graph& graph, const Plan& plan, const std::string& path) {
  std::ofstream out(path);
  out << plan_svg(graph, plan);
  if (!out) fail(ErrorKind::Io, "cannot write SVG '" + path + "'");
}

}  // namespace tandem

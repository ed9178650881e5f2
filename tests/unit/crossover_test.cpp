// The crossover search on synthetic latency curves (one crossing, none, two, noisy
// measurements) and the SVG plot writer (a well-formed document with both series and
// the crossover marker).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "profile/crossover.h"
#include "profile/svg_plot.h"
#include "tandem/error.h"

namespace tandem {
namespace {

// Device A: a fixed cost; device B: proportional to the value. They cross at 100:
// B is faster below, A above.
std::pair<double, double> fixed_vs_linear(int64_t v) { return {200.0, 2.0 * static_cast<double>(v)}; }

TEST(Crossover, FindsOneCrossingToWithinOneStep) {
  CrossoverOptions options;
  options.relative_width = 0;  // bisect down to adjacent integers
  CrossoverResult r = find_crossovers(1, 4096, fixed_vs_linear, options);
  ASSERT_EQ(r.crossings.size(), 1u);
  const Crossing& c = r.crossings[0];
  EXPECT_LE(c.below, 100);
  EXPECT_GE(c.above, 100);
  EXPECT_LE(c.above - c.below, 1);
  EXPECT_NEAR(c.value, 100.0, 1.0);
  EXPECT_EQ(c.winner_below, Winner::B);
  EXPECT_EQ(c.winner_above, Winner::A);
  EXPECT_EQ(r.winner_at_lo, Winner::B);
  EXPECT_EQ(r.winner_at_hi, Winner::A);
}

TEST(Crossover, StopsAtTheRelativeWidth) {
  CrossoverResult r = find_crossovers(1, 100000, [](int64_t v) { return fixed_vs_linear(v / 10); }, {});
  ASSERT_EQ(r.crossings.size(), 1u);
  const Crossing& c = r.crossings[0];
  EXPECT_LE(c.below, 1009);
  EXPECT_GE(c.above, 1000);
  EXPECT_LE(static_cast<double>(c.above) / static_cast<double>(c.below) - 1, 0.05);
  // A handful of coarse points plus a bisection, not a scan.
  EXPECT_LE(r.points.size(), 25u);
}

TEST(Crossover, ReportsNoCrossingAndTheWinnerThroughout) {
  CrossoverResult r = find_crossovers(
      4, 512, [](int64_t v) { return std::pair{3.0 * static_cast<double>(v), 1.0 * static_cast<double>(v)}; }, {});
  EXPECT_TRUE(r.crossings.empty());
  EXPECT_EQ(r.winner_at_lo, Winner::B);
  EXPECT_EQ(r.winner_at_hi, Winner::B);
  EXPECT_EQ(r.points.front().value, 4);
  EXPECT_EQ(r.points.back().value, 512);
  EXPECT_GT(largest_gap(r), 1.9);
}

TEST(Crossover, FindsTwoCrossings) {
  // log(t_A / t_B) = -(ln v - ln 50)(ln v - ln 800) / 2: B is faster only in (50, 800).
  auto measure = [](int64_t v) {
    double x = std::log(static_cast<double>(v));
    return std::pair{std::exp(-(x - std::log(50.0)) * (x - std::log(800.0)) / 2), 1.0};
  };
  CrossoverOptions options;
  options.coarse_points = 9;
  options.relative_width = 0;
  CrossoverResult r = find_crossovers(1, 65536, measure, options);
  ASSERT_EQ(r.crossings.size(), 2u);
  EXPECT_LE(r.crossings[0].below, 50);
  EXPECT_GE(r.crossings[0].above, 50);
  EXPECT_LE(r.crossings[0].above - r.crossings[0].below, 1);
  EXPECT_EQ(r.crossings[0].winner_below, Winner::A);
  EXPECT_EQ(r.crossings[0].winner_above, Winner::B);
  EXPECT_LE(r.crossings[1].below, 800);
  EXPECT_GE(r.crossings[1].above, 800);
  EXPECT_LE(r.crossings[1].above - r.crossings[1].below, 1);
  EXPECT_EQ(r.crossings[1].winner_below, Winner::B);
  EXPECT_EQ(r.crossings[1].winner_above, Winner::A);
  EXPECT_EQ(r.winner_at_lo, Winner::A);
  EXPECT_EQ(r.winner_at_hi, Winner::A);
}

TEST(Crossover, NoisyMeasurementsStillBracketTheCrossing) {
  // Each device's time is off by up to 8% on every measurement (seeded).
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> noise(0.92, 1.08);
  std::map<int64_t, int> calls;
  auto measure = [&](int64_t v) {
    ++calls[v];
    auto [a, b] = fixed_vs_linear(v);
    return std::pair{a * noise(rng), b * noise(rng)};
  };
  CrossoverResult r = find_crossovers(1, 10000, measure, {});
  ASSERT_EQ(r.crossings.size(), 1u);
  const Crossing& c = r.crossings[0];
  // Noise can flip the sign only where the curves are within ~16% of each other.
  EXPECT_GT(c.value, 80.0);
  EXPECT_LT(c.value, 125.0);
  EXPECT_EQ(c.winner_below, Winner::B);
  EXPECT_EQ(c.winner_above, Winner::A);
  // Near-ties were measured three times, clear points once, and no value twice over.
  for (const MeasuredPoint& p : r.points) {
    EXPECT_EQ(calls[p.value], p.measurements);
    double gap = std::max(p.a_us, p.b_us) / std::min(p.a_us, p.b_us) - 1;
    if (gap > 0.5) {
      EXPECT_EQ(p.measurements, 1) << p.value;
    }
  }
  EXPECT_EQ(calls.size(), r.points.size());
}

TEST(Crossover, ExactTieAtACoarsePointIsSkippedNotDoubleCounted) {
  // log_spaced(1, 10000, 5) = 1, 10, 100, 1000, 10000: the crossing lies on a coarse point.
  CrossoverResult r = find_crossovers(1, 10000, fixed_vs_linear, {5, 0.0, 0.1, 3});
  ASSERT_EQ(r.crossings.size(), 1u);
  EXPECT_LE(r.crossings[0].below, 100);
  EXPECT_GE(r.crossings[0].above, 100);
}

TEST(Crossover, CurvesThatAreEqualAndThenPartDoNotCross) {
  // Equal to within +-1% up to 100 (alternating, as noise would), then B pulls ahead.
  auto measure = [](int64_t v) {
    double a = static_cast<double>(v) * (v % 2 ? 1.01 : 0.99);
    double b = v <= 100 ? static_cast<double>(v) : 100.0 + 0.5 * static_cast<double>(v - 100);
    return std::pair{a, b};
  };
  CrossoverResult r = find_crossovers(1, 4096, measure, {});
  EXPECT_TRUE(r.crossings.empty());
  EXPECT_EQ(r.winner_at_lo, Winner::Tie);
  EXPECT_EQ(r.winner_at_hi, Winner::B);
  // Without a tie band the jitter at the low end looks like crossings.
  CrossoverOptions no_tie_band;
  no_tie_band.tie_band = 0;
  EXPECT_FALSE(find_crossovers(1, 4096, measure, no_tie_band).crossings.empty());
}

TEST(Crossover, RejectsBadArguments) {
  EXPECT_THROW(find_crossovers(0, 10, fixed_vs_linear, {}), Error);
  EXPECT_THROW(find_crossovers(10, 10, fixed_vs_linear, {}), Error);
  CrossoverOptions one_point;
  one_point.coarse_points = 1;
  EXPECT_THROW(find_crossovers(1, 10, fixed_vs_linear, one_point), Error);
}

TEST(Crossover, LogSpacedIncludesBothEndsOnce) {
  EXPECT_EQ(log_spaced(1, 10000, 5), (std::vector<int64_t>{1, 10, 100, 1000, 10000}));
  EXPECT_EQ(log_spaced(1, 3, 6), (std::vector<int64_t>{1, 2, 3}));
}

// Checks that every tag is closed in order and that '&' only starts an entity: enough
// to call the document well-formed for what render_svg writes.
bool well_formed(const std::string& xml, std::string& problem) {
  auto bad = [&](const std::string& what) {
    problem = what;
    return false;
  };
  std::vector<std::string> open;
  for (size_t i = 0; i < xml.size(); ++i) {
    if (xml[i] == '&') {
      size_t semi = xml.find(';', i);
      std::string entity = xml.substr(i, semi == std::string::npos ? 0 : semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" && entity != "&apos;")
        return bad("bad entity at " + std::to_string(i));
    }
    if (xml[i] != '<') continue;
    size_t end = xml.find('>', i);
    if (end == std::string::npos) return bad("unclosed tag");
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end;
    if (tag.empty()) return bad("empty tag");
    if (tag.front() == '?' || tag.back() == '/') continue;  // declaration, self-closing
    bool closing = tag.front() == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find(' '));
    if (!closing) {
      open.push_back(name);
    } else {
      if (open.empty() || open.back() != name) return bad("mismatched </" + name + ">");
      open.pop_back();
    }
  }
  if (!open.empty()) return bad("unclosed <" + open.back() + ">");
  return true;
}

TEST(SvgPlot, WritesAWellFormedDocumentWithBothSeriesAndTheMarker) {
  LogLogPlot plot;
  plot.title = "conv: cpu <1 thread> vs cpu & friends";
  plot.x_label = "channels";
  plot.y_label = "latency (µs)";
  plot.series = {{"cpu:0 (1 thread)", "#1f77b4", {{4, 10}, {16, 40}, {64, 300}, {512, 9000}}},
                 {"cpu:1 (2 threads)", "#ff7f0e", {{4, 14}, {16, 45}, {64, 200}, {512, 5000}}}};
  plot.markers = {{20.0, "crossover ≈ 20"}};
  std::string svg = render_svg(plot);
  std::string problem;
  EXPECT_TRUE(well_formed(svg, problem)) << problem;
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("cpu:0 (1 thread)"), std::string::npos);
  EXPECT_NE(svg.find("cpu:1 (2 threads)"), std::string::npos);
  EXPECT_NE(svg.find("crossover ≈ 20"), std::string::npos);
  EXPECT_NE(svg.find("&lt;1 thread&gt;"), std::string::npos);
  size_t lines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++lines;
  EXPECT_EQ(lines, 2u);
  EXPECT_NE(svg.find("class=\"marker\""), std::string::npos);
}

TEST(SvgPlot, EmptyPlotIsStillValid) {
  std::string problem;
  EXPECT_TRUE(well_formed(render_svg(LogLogPlot{}), problem)) << problem;
}

TEST(SvgPlot, LogTicksAndLabels) {
  EXPECT_EQ(log_ticks(1, 100), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
  EXPECT_EQ(log_ticks(1, 1e6), (std::vector<double>{1, 10, 100, 1e3, 1e4, 1e5, 1e6}));
  EXPECT_EQ(tick_label(20), "20");
  EXPECT_EQ(tick_label(2000), "2k");
  EXPECT_EQ(tick_label(1.5e6), "1.5M");
}

}  // namespace
}  // namespace tandem

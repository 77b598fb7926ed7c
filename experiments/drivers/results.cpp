#include "experiments/drivers/results.h"

#include <cstdio>
#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "experiments/plot_script.h"

namespace nullmark {

Table& Results::table(const std::string& name, const std::string& title, std::vector<std::string> columns) {
  tables.push_back(Table{name, title, std::move(columns), {}});
  return tables.back();
}

namespace {
std::string cell(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v.get<double>());
    return buf;
  }
  return v.dump();
}

std::string markdown(const Table& t) {
  std::ostringstream s;
  s << "### " << t.title << "\n\n|";
  for (const auto& c : t.columns) s << " " << c << " |";
  s << "\n|";
  for (size_t i = 0; i < t.columns.size(); ++i) s << "---|";
  s << "\n";
  for (const auto& r : t.rows) {
    s << "|";
    for (const auto& v : r) s << " " << cell(v) << " |";
    s << "\n";
  }
  s << "\n(`" << t.name << ".csv`)\n";
  return s.str();
}
}  // namespace

void write_results(const std::string& dir, const std::string& experiment, const Results& r,
                   const std::string& resolved_config, double wall_s) {
  nlohmann::json j = {{"experiment", experiment}, {"wall_s", wall_s}, {"findings", r.findings}, {"figures", r.figures}};
  for (const auto& t : r.tables) {
    std::ostringstream csv;
    for (size_t i = 0; i < t.columns.size(); ++i) csv << (i ? "," : "") << t.columns[i];
    csv << "\n";
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : t.rows) {
      for (size_t i = 0; i < row.size(); ++i)
        csv << (i ? "," : "") << (row[i].is_string() ? row[i].get<std::string>() : row[i].dump());
      csv << "\n";
      rows.push_back(row);
    }
    // Columns as a list: JSON objects do not keep key order, and the plots need it.
    j["tables"][t.name] = {{"title", t.title}, {"columns", t.columns}, {"rows", rows}};
    write_file_atomic(dir + "/" + t.name + ".csv", csv.str());
  }
  write_file_atomic(dir + "/results.json", j.dump(2) + "\n");

  const bool plotted = !r.figures.empty() && run_plot_script("plot_results.py", {dir}, dir + "/plot.log");
  std::ostringstream md;
  md << "# " << experiment << "\n\nRun directory `" << dir << "`; wall time " << static_cast<long>(wall_s)
     << " s. Every number below was measured in this run.\n\n";
  for (const auto& p : r.report) md << p << "\n\n";
  for (const auto& t : r.tables) md << markdown(t) << "\n";
  if (plotted)
    for (const auto& f : r.figures) md << "![" << f << "](" << f << ")\n\n";
  md << "## Configuration\n\n```yaml\n" << resolved_config << "```\n";
  write_file_atomic(dir + "/report.md", md.str());
}

}  // namespace nullmark

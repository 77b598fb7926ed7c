// Results of an experiment run: named tables of rows (written as CSV and JSON), scalar findings,
// and the Markdown report assembled from them.
#pragma once
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nullmark {

struct Table {
  std::string name, title;
  std::vector<std::string> columns;
  std::vector<std::vector<nlohmann::json>> rows;
  void add(std::vector<nlohmann::json> row) { rows.push_back(std::move(row)); }
};

struct Results {
  std::deque<Table> tables;                            // deque: table() hands out references that must stay valid
  nlohmann::json findings = nlohmann::json::object();  // headline numbers and decisions
  std::vector<std::string> report;                     // Markdown paragraphs, in order
  std::vector<std::string> figures;                    // PNG names the plot script makes
  Table& table(const std::string& name, const std::string& title, std::vector<std::string> columns);
};

// Writes results.json, one CSV per table (NAME.csv), then runs the plot script and report.md.
void write_results(const std::string& dir, const std::string& experiment, const Results& r,
                   const std::string& resolved_config, double wall_s);

}  // namespace nullmark

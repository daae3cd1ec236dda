#pragma once
// The national report: a self-contained static HTML page (<run>/report/index.html) with the
// national maps as PNG files beside it (score, class, change, typology), inline SVG charts
// (class distribution over the years, decomposition of change, response curves, breakdowns,
// change by starting class) and the tables of summary.json (typology areas with their
// gemeenten and near misses, buurten with the worst safety scores). Labels in Dutch ("nl",
// the users' language) or English ("en"). Every map and chart carries its legend and rule.
//
// Reads only a finished run folder: leefbaar.h5 (opened with MPI_COMM_SELF: call on one
// rank), summary.json and aggregates/zones.gpkg. The folder is written as
// <run>/report.partial-<pid> and renamed to <run>/report when complete.

#include <string>

namespace leefbaar::app {

inline constexpr const char* kReportDir = "report";
inline constexpr const char* kReportIndex = "index.html";

// Writes <run_dir>/report/ and returns the path of its index.html. Throws UsageError (exit
// code 2) when run_dir is not a finished run (no summary.json or leefbaar.h5) or lang is not
// "nl" or "en"; Error for unreadable inputs.
// The report has a sweep section (charts of the national figures over the members, map of the
// probability of onvoldoende per buurt) when a finished `leefbaar sweep` output is found:
// `sweep_dir` when given, else <run_dir>/sweep (the sweep's default --out).
std::string write_report(const std::string& run_dir, const std::string& lang = "nl",
                         const std::string& sweep_dir = "");

// The report language a run asks for: run.lang of the run config named in <run_dir>/run.json
// when that config still exists and sets it, else "nl".
std::string report_lang_of_run(const std::string& run_dir);

}  // namespace leefbaar::app

// CSV written by io::CsvWriter reads back field for field (quotes, commas, line breaks, empty
// fields), and a missing file is an error naming it.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/error.hpp"
#include "io/csv.hpp"

using namespace leefbaar;

TEST_CASE("CSV round trip through CsvWriter and read_csv", "[io][csv]") {
    const auto path = (std::filesystem::temp_directory_path() / "leefbaar-csv-test.csv").string();
    io::CsvWriter w({"code", "name", "value"});
    w.row({"BU01", "Oost, \"centrum\"", "1.5"});
    w.row({"BU02", "two\nlines", ""});
    w.row({"BU03", "", io::csv_number(std::nan(""))});
    w.save(path);
    const auto t = io::read_csv(path);
    CHECK(t.header == std::vector<std::string>{"code", "name", "value"});
    REQUIRE(t.rows.size() == 3);
    CHECK(t.rows[0] == std::vector<std::string>{"BU01", "Oost, \"centrum\"", "1.5"});
    CHECK(t.rows[1] == std::vector<std::string>{"BU02", "two\nlines", ""});
    CHECK(t.rows[2] == std::vector<std::string>{"BU03", "", ""});
    CHECK(t.col("value") == 2);
    CHECK(t.col("missing") == -1);
    CHECK(io::parse_csv("a,b\r\nc,\"d\"\"e\"\r\n") ==
          std::vector<std::vector<std::string>>{{"a", "b"}, {"c", "d\"e"}});
    std::filesystem::remove(path);
    CHECK_THROWS_WITH(io::read_csv(path), Catch::Contains(path));
}

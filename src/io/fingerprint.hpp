#pragma once
// Content fingerprints (XXH3-128) of files and texts: what a resumed run compares to refuse
// continuing after a changed config or input. Not cryptographic; fast (GB/s).

#include <string>

namespace leefbaar::io {

// 32 hex digits of the file's content hash; throws Error naming the file if unreadable.
std::string file_fingerprint(const std::string& path);
std::string text_fingerprint(const std::string& text);

}  // namespace leefbaar::io

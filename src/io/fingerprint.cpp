#include "io/fingerprint.hpp"

#include <xxhash.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "core/error.hpp"

namespace leefbaar::io {

namespace {
std::string hex(XXH128_hash_t h) {
    char b[40];
    std::snprintf(b, sizeof b, "%016llx%016llx", (unsigned long long)h.high64,
                  (unsigned long long)h.low64);
    return b;
}
}  // namespace

std::string file_fingerprint(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) throw Error("fingerprint", "cannot read file " + path);
    std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> st(XXH3_createState(),
                                                                       &XXH3_freeState);
    XXH3_128bits_reset(st.get());
    std::vector<char> buf(1 << 20);
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0)
        XXH3_128bits_update(st.get(), buf.data(), n);
    if (std::ferror(f.get())) throw Error("fingerprint", "error reading file " + path);
    return hex(XXH3_128bits_digest(st.get()));
}

std::string text_fingerprint(const std::string& text) {
    return hex(XXH3_128bits(text.data(), text.size()));
}

}  // namespace leefbaar::io

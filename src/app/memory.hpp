#pragma once
// Process-wide memory policy of the batch commands.

#include <gnu/libc-version.h>
#include <malloc.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace leefbaar::app {

// Keeps freed memory in the process for reuse: no mmap for large blocks and no trimming of the
// heap. The first touch of a fresh page is expensive on the virtual machines these jobs run on
// (measured 3.8 s per 512 MiB on the shared VM, against 0.05 s to rewrite touched memory), and
// the batch commands allocate and free buffers of the same sizes many times (a layer per
// indicator and year, the per-member statistics of a sweep). What is kept is memory the process
// had already used (peak RSS +90 MiB per rank in the national run).
inline void keep_freed_memory() {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

// Whether glibc's malloc was asked for transparent huge pages (GLIBC_TUNABLES names
// glibc.malloc.hugetlb), by use_huge_page_malloc or by the user.
inline bool huge_page_malloc() {
    const char* t = std::getenv("GLIBC_TUNABLES");
    return t && std::strstr(t, "glibc.malloc.hugetlb=1");
}

// Re-executes this binary once, before anything else (MPI included), with glibc's malloc asking
// the kernel for transparent huge pages for its heap (GLIBC_TUNABLES=glibc.malloc.hugetlb=1,
// glibc >= 2.35; appended to tunables the user set). Faulting in fresh memory in 4 KiB pages is
// the largest single cost of a first pass over new buffers on the VMs we measured (3.3 ms per
// MiB; 2 MiB pages cost a thirtieth of that): the national recompute ran 20% faster with it,
// its first kernel stage 7.4 -> 4.3 s, at the same peak memory (bench/RESULTS.md). Nothing
// happens when the kernel does not offer huge pages on request (transparent_hugepage/enabled
// "never"), when glibc is older, when the tunable is already set, or with
// LEEFBAAR_NO_HUGE_PAGES=1; if the exec fails the process simply goes on as it is.
inline void use_huge_page_malloc(char** argv) {
    if (const char* off = std::getenv("LEEFBAAR_NO_HUGE_PAGES"); off && *off && *off != '0') return;
    if (const char* t = std::getenv("GLIBC_TUNABLES"); t && std::strstr(t, "glibc.malloc.hugetlb"))
        return;
    int major = 0, minor = 0;
    if (std::sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) != 2 ||
        (major == 2 && minor < 35) || major < 2)
        return;
    std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string mode;
    std::getline(thp, mode);
    if (mode.find("[madvise]") == std::string::npos && mode.find("[always]") == std::string::npos)
        return;
    const char* before = std::getenv("GLIBC_TUNABLES");
    const std::string old = before ? before : "";
    std::string value = old.empty() ? "" : old + ':';
    value += "glibc.malloc.hugetlb=1";
    if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
    execv("/proc/self/exe", argv);
    // Still here: the exec failed. Put the environment back, so that huge_page_malloc (and
    // run.json) does not claim a setting this process did not start with.
    if (before)
        setenv("GLIBC_TUNABLES", old.c_str(), 1);
    else
        unsetenv("GLIBC_TUNABLES");
}

}  // namespace leefbaar::app

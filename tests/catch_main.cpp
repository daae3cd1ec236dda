// Catch2 v2 main for tests that need no MPI: the tests run with a private TMPDIR.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>

#include "private_tmp.hpp"

int main(int argc, char** argv) {
    const leefbaar::testing::PrivateTmp tmp(long(::getpid()), true);
    tmp.enter();
    return Catch::Session().run(argc, argv);
}

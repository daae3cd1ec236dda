// Catch2 v2 main for tests that need neither MPI nor a custom setup.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

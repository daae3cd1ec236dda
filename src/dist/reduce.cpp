#include "dist/reduce.hpp"

#include <vector>

#include "dist/comm.hpp"

namespace leefbaar::dist {

namespace {

void sum_int128(void* in, void* inout, int* len, MPI_Datatype*) {
    auto* a = static_cast<const ExactSum::Raw*>(in);
    auto* b = static_cast<ExactSum::Raw*>(inout);
    for (int i = 0; i < *len; ++i) b[i] += a[i];
}

// A contiguous 16-byte type and a commutative sum op, created once per process.
struct Int128Op {
    MPI_Datatype type = MPI_DATATYPE_NULL;
    MPI_Op op = MPI_OP_NULL;
    Int128Op() {
        MPI_Type_contiguous(int(sizeof(ExactSum::Raw)), MPI_BYTE, &type);
        MPI_Type_commit(&type);
        MPI_Op_create(&sum_int128, /*commute=*/1, &op);
    }
};

const Int128Op& int128_op() {
    static Int128Op o;
    return o;
}

}  // namespace

void allreduce_sum(std::span<std::int64_t> values, MPI_Comm comm) {
    if (values.empty()) return;
    check(
        MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_INT64_T, MPI_SUM, comm),
        "MPI_Allreduce(sum int64)");
}

void allreduce_sum(std::span<ExactSum::Raw> values, MPI_Comm comm) {
    if (values.empty()) return;
    const auto& o = int128_op();
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), o.type, o.op, comm),
          "MPI_Allreduce(sum fixed-point)");
}

std::int64_t allreduce_sum(std::int64_t value, MPI_Comm comm) {
    allreduce_sum(std::span<std::int64_t>(&value, 1), comm);
    return value;
}

ExactSum allreduce_sum(const ExactSum& value, MPI_Comm comm) {
    ExactSum::Raw raw = value.raw();
    allreduce_sum(std::span<ExactSum::Raw>(&raw, 1), comm);
    ExactSum out;
    out.add_raw(raw);
    return out;
}

void allreduce_min(std::span<double> values, MPI_Comm comm) {
    if (values.empty()) return;
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_MIN, comm),
          "MPI_Allreduce(min)");
}

void allreduce_max(std::span<double> values, MPI_Comm comm) {
    if (values.empty()) return;
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_MAX, comm),
          "MPI_Allreduce(max)");
}

}  // namespace leefbaar::dist

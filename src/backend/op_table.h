// A backend's kernel table: per op of the one op list (model/op_list.h), the
// backend's entry for it, or none.
//
// Each backend lists the ops it implements as rows {OpType, Entry}; MakeOpTable
// turns the rows into a dense table indexed by OpType at compile time and
// refuses to compile when a row names an op twice or an op outside the list.
// An op without a row is one the backend does not implement: Find() returns
// nullptr, the backend's Supports() says so, and the runtime gives the node to
// another backend, so a missing kernel can never be called.
#pragma once

#include <array>
#include <cstddef>

#include "model/graph.h"

namespace handtrack::backend {

template <typename Entry>
struct OpRow {
  model::OpType op;
  Entry entry;
};

template <typename Entry>
class OpTable {
 public:
  // The entry of `op`, or nullptr when the backend does not implement it.
  constexpr const Entry* Find(model::OpType op) const {
    const int index = static_cast<int>(op);
    if (index < 0 || index >= model::kNumOpTypes || !present_[index]) return nullptr;
    return &entries_[index];
  }
  constexpr bool Implements(model::OpType op) const { return Find(op) != nullptr; }
  // How many ops of the list the backend implements.
  constexpr int size() const {
    int count = 0;
    for (bool present : present_) count += present ? 1 : 0;
    return count;
  }
  constexpr bool Complete() const { return size() == model::kNumOpTypes; }

  template <typename E, size_t N>
  friend consteval OpTable<E> MakeOpTable(const OpRow<E> (&rows)[N]);

 private:
  std::array<Entry, model::kNumOpTypes> entries_{};
  std::array<bool, model::kNumOpTypes> present_{};
};

// Fails to compile (a throw in a consteval function) on a duplicate row or an
// op outside the list.
template <typename Entry, size_t N>
consteval OpTable<Entry> MakeOpTable(const OpRow<Entry> (&rows)[N]) {
  OpTable<Entry> table;
  for (const OpRow<Entry>& row : rows) {
    const int index = static_cast<int>(row.op);
    if (index < 0 || index >= model::kNumOpTypes) throw "op table row names an op outside model/op_list.h";
    if (table.present_[index]) throw "op table names an op twice";
    table.present_[index] = true;
    table.entries_[index] = row.entry;
  }
  return table;
}

}  // namespace handtrack::backend

// A bounds-checked view of a FlatBuffer. Every accessor verifies offsets,
// lengths and vtable sizes against the buffer before reading, so arbitrary
// bytes can never make it read out of range. Failures are reported as
// InvalidModel statuses naming what was being read.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "handtrack/status.h"

namespace handtrack::model {

class FlatTable;

// A vector field: `count` elements of `element_size` bytes at `pos`.
struct FlatVector {
  uint64_t pos = 0;
  uint32_t count = 0;
  bool present = false;
};

class FlatBuffer {
 public:
  explicit FlatBuffer(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t size() const { return bytes_.size(); }
  bool InRange(uint64_t pos, uint64_t len) const {
    return pos <= bytes_.size() && len <= bytes_.size() - pos;
  }

  // Little-endian scalar at `pos`; the caller checked InRange(pos, sizeof(T)).
  template <typename T>
  T Load(uint64_t pos) const {
    T v;
    std::memcpy(&v, bytes_.data() + pos, sizeof(T));
    return v;
  }
  const uint8_t* data() const { return bytes_.data(); }

  // The root table (uoffset at byte 0).
  Result<FlatTable> Root() const;
  // The table that the uoffset at `pos` points to.
  Result<FlatTable> TableAt(uint64_t uoffset_pos, std::string_view what) const;

 private:
  std::span<const uint8_t> bytes_;
};

class FlatTable {
 public:
  FlatTable(const FlatBuffer* buf, uint64_t pos, uint64_t vtable, uint16_t vtable_size, uint16_t table_size)
      : buf_(buf), pos_(pos), vtable_(vtable), vtable_size_(vtable_size), table_size_(table_size) {}

  // Absolute position of field `id`, or 0 when absent. Fails when the field
  // would not fit in the table.
  Result<uint64_t> FieldPos(int id, uint64_t field_size, std::string_view what) const;

  template <typename T>
  Result<T> Scalar(int id, T default_value, std::string_view what) const {
    HT_ASSIGN_OR_RETURN(uint64_t p, FieldPos(id, sizeof(T), what));
    if (p == 0) return default_value;
    return buf_->Load<T>(p);
  }

  // Sub-table field; `present` false when absent.
  Result<FlatTable> Table(int id, std::string_view what) const;
  bool HasField(int id) const;

  // Vector of scalars or offsets; element_size bytes each, range-checked.
  Result<FlatVector> Vector(int id, uint32_t element_size, std::string_view what) const;
  // Element `i` of a vector of tables.
  Result<FlatTable> TableInVector(const FlatVector& v, uint32_t i, std::string_view what) const;
  Result<std::string> String(int id, std::string_view what) const;

  const FlatBuffer& buffer() const { return *buf_; }

 private:
  const FlatBuffer* buf_;
  uint64_t pos_;
  uint64_t vtable_;
  uint16_t vtable_size_;
  uint16_t table_size_;
};

}  // namespace handtrack::model

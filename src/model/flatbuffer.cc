#include "model/flatbuffer.h"

namespace handtrack::model {
namespace {

Status Malformed(std::string_view what, std::string_view reason) {
  return InvalidModelError("failed to read " + std::string(what) + ": " + std::string(reason));
}

}  // namespace

Result<FlatTable> FlatBuffer::Root() const {
  if (size() < 8) return Malformed("model header", "file is " + std::to_string(size()) + " bytes, too short");
  return TableAt(0, "model root table");
}

Result<FlatTable> FlatBuffer::TableAt(uint64_t uoffset_pos, std::string_view what) const {
  if (!InRange(uoffset_pos, 4)) return Malformed(what, "offset field lies outside the file");
  const uint64_t table = uoffset_pos + Load<uint32_t>(uoffset_pos);
  if (!InRange(table, 4)) return Malformed(what, "table offset points outside the file");
  const int64_t vtable = static_cast<int64_t>(table) - Load<int32_t>(table);
  if (vtable < 0 || !InRange(static_cast<uint64_t>(vtable), 4))
    return Malformed(what, "vtable lies outside the file");
  const uint16_t vtable_size = Load<uint16_t>(vtable);
  const uint16_t table_size = Load<uint16_t>(vtable + 2);
  if (vtable_size < 4 || vtable_size % 2 != 0 || !InRange(vtable, vtable_size)) {
    return Malformed(what, "vtable size " + std::to_string(vtable_size) + " is invalid");
  }
  if (table_size < 4 || !InRange(table, table_size)) {
    return Malformed(what, "table size " + std::to_string(table_size) + " runs past the end of the file");
  }
  return FlatTable(this, table, static_cast<uint64_t>(vtable), vtable_size, table_size);
}

Result<uint64_t> FlatTable::FieldPos(int id, uint64_t field_size, std::string_view what) const {
  const uint64_t entry = 4 + 2 * static_cast<uint64_t>(id);
  if (entry + 2 > vtable_size_) return uint64_t{0};
  const uint16_t offset = buf_->Load<uint16_t>(vtable_ + entry);
  if (offset == 0) return uint64_t{0};
  if (offset + field_size > table_size_) return Malformed(what, "field runs past the end of its table");
  return pos_ + offset;
}

bool FlatTable::HasField(int id) const {
  const uint64_t entry = 4 + 2 * static_cast<uint64_t>(id);
  return entry + 2 <= vtable_size_ && buf_->Load<uint16_t>(vtable_ + entry) != 0;
}

Result<FlatTable> FlatTable::Table(int id, std::string_view what) const {
  HT_ASSIGN_OR_RETURN(uint64_t p, FieldPos(id, 4, what));
  if (p == 0) return Malformed(what, "required table is missing");
  return buf_->TableAt(p, what);
}

Result<FlatVector> FlatTable::Vector(int id, uint32_t element_size, std::string_view what) const {
  HT_ASSIGN_OR_RETURN(uint64_t p, FieldPos(id, 4, what));
  if (p == 0) return FlatVector{};
  const uint64_t vec = p + buf_->Load<uint32_t>(p);
  if (!buf_->InRange(vec, 4)) return Malformed(what, "vector offset points outside the file");
  const uint32_t count = buf_->Load<uint32_t>(vec);
  if (!buf_->InRange(vec + 4, static_cast<uint64_t>(count) * element_size)) {
    return Malformed(what, "vector of " + std::to_string(count) + " elements runs past the end of the file");
  }
  return FlatVector{vec + 4, count, true};
}

Result<FlatTable> FlatTable::TableInVector(const FlatVector& v, uint32_t i, std::string_view what) const {
  if (i >= v.count) return Malformed(what, "index out of range");
  return buf_->TableAt(v.pos + 4ull * i, what);
}

Result<std::string> FlatTable::String(int id, std::string_view what) const {
  HT_ASSIGN_OR_RETURN(FlatVector v, Vector(id, 1, what));
  if (!v.present) return std::string();
  return std::string(reinterpret_cast<const char*>(buf_->data() + v.pos), v.count);
}

}  // namespace handtrack::model

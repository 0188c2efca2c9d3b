#!/usr/bin/env python3
"""Writes tiny .tflite models as seeds for tflite_reader_fuzz.

The real models are megabytes and too large for the fuzzer to run; these are
a few hundred bytes each, small enough to be planned and run on every
mutation, and between them they use every op handtrack supports, fp16
weights behind a DEQUANTIZE, an absent optional input and operators stored
out of execution order.

    fuzz/make_tflite_seeds.py OUT_DIR

Only the standard library: a minimal FlatBuffer writer for the fields of
TFLite's schema (version 3) that handtrack's reader reads.
"""
import os
import struct
import sys

# ---- A minimal FlatBuffer writer -----------------------------------------------------
# Objects are written parent first; a child is written after its parent and the
# parent's uoffset patched, so every uoffset points forward as the format needs.
# Every scalar field gets a 4-byte slot. Field values: i8(), u8(), i32(), u32(),
# vec_i32(), vec_bytes(), string(), tables(), option_table().


def i8(v):
    return ("b", v)


def u8(v):
    return ("B", v)


def i32(v):
    return ("i", v)


def u32(v):
    return ("I", v)


def vec_i32(values):
    return ("vec", "<%di" % len(values), list(values), len(values))


def vec_bytes(data):
    return ("vec", "<%ds" % len(data), [bytes(data)], len(data))


def string(s):
    data = s.encode()
    return ("vec", "<%ds" % (len(data) + 1), [data + b"\0"], len(data))


def tables(items):
    """A vector of tables, each given as {field id: value}."""
    return ("tables", items)


def option_table(fields):
    """A single sub-table (an operator's builtin options)."""
    return ("table", fields)


class Writer:
    def __init__(self):
        self.buf = bytearray()

    def align(self):
        while len(self.buf) % 4:
            self.buf.append(0)

    def put_uoffset(self, at, target):
        struct.pack_into("<I", self.buf, at, target - at)

    def table(self, fields):
        """fields: {id: value}; returns the table's position."""
        self.align()
        ids = sorted(fields)
        num = (ids[-1] + 1) if ids else 0
        vtable = len(self.buf)
        table_size = 4 + 4 * len(ids)
        entries = [0] * num
        for slot, fid in enumerate(ids):
            entries[fid] = 4 + 4 * slot
        self.buf += struct.pack("<HH%dH" % num, 4 + 2 * num, table_size, *entries)
        self.align()
        table = len(self.buf)
        self.buf += struct.pack("<i", table - vtable)
        children = []
        for fid in ids:
            value = fields[fid]
            at = len(self.buf)
            if value[0] in ("b", "B", "i", "I"):
                self.buf += struct.pack("<" + value[0], value[1]).ljust(4, b"\0")
            else:
                self.buf += b"\0\0\0\0"
                children.append((at, value))
        for at, value in children:
            self.put_uoffset(at, self.child(value))
        return table

    def child(self, value):
        self.align()
        if value[0] == "vec":
            _, fmt, items, count = value
            pos = len(self.buf)
            self.buf += struct.pack("<I", count) + struct.pack(fmt, *items)
            return pos
        if value[0] == "tables":
            items = value[1]
            pos = len(self.buf)
            self.buf += struct.pack("<I", len(items)) + b"\0" * (4 * len(items))
            for k, item in enumerate(items):
                self.put_uoffset(pos + 4 + 4 * k, self.table(item))
            return pos
        if value[0] == "table":
            return self.table(value[1])
        raise ValueError(value)

    def finish(self, root):
        self.buf += b"\0\0\0\0TFL3"
        self.put_uoffset(0, self.table(root))
        return bytes(self.buf)


# ---- TFLite models ---------------------------------------------------------------------
FLOAT32, FLOAT16, INT32 = 0, 1, 2
BUILTIN = {"ADD": 0, "AVERAGE_POOL_2D": 1, "CONCATENATION": 2, "CONV_2D": 3, "DEPTHWISE_CONV_2D": 4,
           "DEQUANTIZE": 6, "FULLY_CONNECTED": 9, "LOGISTIC": 14, "MAX_POOL_2D": 17, "RELU": 19, "RELU6": 21,
           "RESHAPE": 22, "RESIZE_BILINEAR": 23, "PAD": 34, "MEAN": 40, "PRELU": 54}
OPTIONS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "AVERAGE_POOL_2D": 5, "MAX_POOL_2D": 5, "FULLY_CONNECTED": 8,
           "CONCATENATION": 10, "ADD": 11, "RESIZE_BILINEAR": 15, "RESHAPE": 17, "PAD": 22, "MEAN": 27}


class Model:
    def __init__(self):
        self.tensors = []  # Table fields
        self.buffers = [{}]  # buffer 0: empty, by convention
        self.ops = []
        self.codes = []

    def tensor(self, name, shape, data=None, dtype=FLOAT32):
        buffer = 0
        if data is not None:
            fmt = {FLOAT32: "<%df", FLOAT16: "<%de", INT32: "<%di"}[dtype]
            self.buffers.append({0: vec_bytes(struct.pack(fmt % len(data), *data))})
            buffer = len(self.buffers) - 1
        self.tensors.append({0: vec_i32(shape), 1: i8(dtype), 2: u32(buffer), 3: string(name)})
        return len(self.tensors) - 1

    def const(self, name, shape, dtype=FLOAT32):
        n = 1
        for d in shape:
            n *= d
        data = [((k * 7) % 11 - 5) / 10.0 for k in range(n)] if dtype != INT32 else None
        return self.tensor(name, shape, data, dtype)

    def op(self, name, inputs, outputs, options=None):
        if name not in self.codes:
            self.codes.append(name)
        fields = {0: u32(self.codes.index(name)), 1: vec_i32(inputs), 2: vec_i32(outputs)}
        if options:
            fields[3] = u8(OPTIONS[name])
            fields[4] = option_table(options)
        self.ops.append(fields)

    def serialize(self, inputs, outputs):
        codes = [{0: i8(min(BUILTIN[c], 127)), 3: i32(BUILTIN[c])} for c in self.codes]
        subgraph = {0: tables(self.tensors), 1: vec_i32(inputs), 2: vec_i32(outputs), 3: tables(self.ops)}
        root = {0: u32(3), 1: tables(codes), 2: tables([subgraph]), 4: tables(self.buffers)}
        return Writer().finish(root)


def relu_chain():
    m = Model()
    x = m.tensor("input", [1, 8])
    a = m.tensor("a", [1, 8])
    y = m.tensor("output", [1, 8])
    m.op("RELU", [x], [a])
    m.op("LOGISTIC", [a], [y])
    return m.serialize([x], [y])


def out_of_order():
    # The reader sorts these back into execution order.
    m = Model()
    x = m.tensor("input", [1, 2, 2, 3])
    a = m.tensor("a", [1, 2, 2, 3])
    b = m.tensor("b", [1, 2, 2, 3])
    y = m.tensor("output", [1, 2, 2, 3])
    m.op("ADD", [a, b], [y], {0: i8(1)})  # fused RELU
    m.op("RELU6", [x], [b])
    m.op("RELU", [x], [a])
    return m.serialize([x], [y])


def conv():
    m = Model()
    x = m.tensor("input", [1, 5, 5, 2])
    w = m.const("filter", [3, 3, 3, 2])
    bias = m.const("bias", [3])
    c = m.tensor("conv", [1, 3, 3, 3])
    w2 = m.const("filter2", [4, 1, 1, 3])
    d = m.tensor("conv2", [1, 3, 3, 4])
    y = m.tensor("output", [1, 3, 3, 4])
    m.op("CONV_2D", [x, w, bias], [c], {0: i8(0), 1: i32(2), 2: i32(2), 3: i8(3)})  # SAME, stride 2, RELU6
    m.op("CONV_2D", [c, w2, -1], [d], {0: i8(1), 1: i32(1), 2: i32(1)})  # VALID 1x1, no bias
    m.op("RELU", [d], [y])
    return m.serialize([x], [y])


def fully_connected_fp16():
    m = Model()
    x = m.tensor("input", [1, 6])
    w16 = m.tensor("weights_fp16", [4, 6], [((k * 5) % 9 - 4) / 8.0 for k in range(24)], FLOAT16)
    w = m.tensor("weights", [4, 6])
    bias = m.const("bias", [4])
    a = m.tensor("fc", [1, 4])
    y = m.tensor("output", [1, 4])
    m.op("DEQUANTIZE", [w16], [w])
    m.op("FULLY_CONNECTED", [x, w, bias], [a], {0: i8(1)})
    m.op("LOGISTIC", [a], [y])
    return m.serialize([x], [y])


def every_other_op():
    m = Model()
    x = m.tensor("input", [1, 4, 4, 2])
    dw = m.const("depthwise_filter", [1, 3, 3, 2])
    dw_out = m.tensor("depthwise", [1, 4, 4, 2])
    alpha = m.const("alpha", [1, 1, 2])
    pr = m.tensor("prelu", [1, 4, 4, 2])
    mp = m.tensor("max_pool", [1, 2, 2, 2])
    size = m.tensor("size", [2], [4, 4], INT32)
    rs = m.tensor("resize", [1, 4, 4, 2])
    cat = m.tensor("concat", [1, 4, 4, 4])
    pads = m.tensor("paddings", [4, 2], [0, 0, 1, 1, 1, 1, 0, 0], INT32)
    pad = m.tensor("pad", [1, 6, 6, 4])
    ap = m.tensor("average_pool", [1, 2, 2, 4])
    axes = m.tensor("axes", [2], [1, 2], INT32)
    mean = m.tensor("mean", [1, 4])
    shape = m.tensor("shape", [2], [2, 2], INT32)
    y = m.tensor("output", [2, 2])
    m.op("DEPTHWISE_CONV_2D", [x, dw, -1], [dw_out], {0: i8(0), 1: i32(1), 2: i32(1), 3: i32(1)})
    m.op("PRELU", [dw_out, alpha], [pr])
    m.op("MAX_POOL_2D", [pr], [mp], {0: i8(1), 1: i32(2), 2: i32(2), 3: i32(2), 4: i32(2)})
    m.op("RESIZE_BILINEAR", [mp, size], [rs], {3: u8(1)})  # half_pixel_centers
    m.op("CONCATENATION", [rs, x], [cat], {0: i32(-1)})
    m.op("PAD", [cat, pads], [pad])
    m.op("AVERAGE_POOL_2D", [pad], [ap], {0: i8(1), 1: i32(3), 2: i32(3), 3: i32(3), 4: i32(3)})
    m.op("MEAN", [ap, axes], [mean], {0: u8(0)})
    m.op("RESHAPE", [mean, shape], [y])
    return m.serialize([x], [y])


SEEDS = {"relu_chain": relu_chain, "out_of_order": out_of_order, "conv": conv,
         "fully_connected_fp16": fully_connected_fp16, "every_other_op": every_other_op}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_tflite_seeds.py OUT_DIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, build in SEEDS.items():
        with open(os.path.join(sys.argv[1], "seed_" + name + ".tflite"), "wb") as f:
            f.write(build())
    print("make_tflite_seeds.py: %d seeds in %s" % (len(SEEDS), sys.argv[1]))


if __name__ == "__main__":
    main()

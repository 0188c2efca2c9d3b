// Small helpers shared by the FFmpeg-based video reader and writer (internal to handtrack_io):
// owning pointers for FFmpeg objects, error text, and keeping FFmpeg quiet.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

namespace handtrack::ffmpeg {

struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
// For contexts opened with avformat_open_input.
struct InputFormatDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
// For contexts made with avformat_alloc_output_context2: closes the file FFmpeg opened.
struct OutputFormatDeleter {
  void operator()(AVFormatContext* f) const {
    if (f && f->pb && !(f->oformat->flags & AVFMT_NOFILE)) avio_closep(&f->pb);
    avformat_free_context(f);
  }
};
// For reference-counted buffers such as hardware device contexts.
struct BufferDeleter {
  void operator()(AVBufferRef* b) const { av_buffer_unref(&b); }
};
// Frees a custom AVIOContext and its buffer (which FFmpeg may have replaced).
struct IoContextDeleter {
  void operator()(AVIOContext* io) const {
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using InputFormatPtr = std::unique_ptr<AVFormatContext, InputFormatDeleter>;
using OutputFormatPtr = std::unique_ptr<AVFormatContext, OutputFormatDeleter>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;
using BufferPtr = std::unique_ptr<AVBufferRef, BufferDeleter>;

// av_strerror's text for an AVERROR code, e.g. "Invalid data found when processing input".
std::string ErrorText(int av_error);

// Turns FFmpeg's console logging off once per process, unless the application has set a
// log level of its own (the library never prints).
void QuietLogging();

// A decoded frame's colour description as plain ints. Decoders store what the stream says,
// also values outside AVColorSpace and AVColorRange (a fuzzed H.264 header gave colorspace
// 142); loading such a value through the enum type is undefined behaviour in C++, so these
// read the fields' bits instead. sws_getCoefficients() takes any int (unknown: BT.601).
int RawColorSpace(const AVFrame& frame);
int RawColorRange(const AVFrame& frame);
// Copies colorspace and color_range of `from` to `to`, bit for bit (values as above).
void CopyColorDescription(const AVFrame& from, AVFrame* to);

}  // namespace handtrack::ffmpeg

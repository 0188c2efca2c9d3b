// Tests of video reading and writing (src/io): round trips through every container the
// writer makes, rotation, frame folders, and bad input (truncated, corrupt, wrong types,
// absurd sizes). Test videos are made on the fly with VideoWriter; the shared videos,
// when present, are checked against the frame counts of the golden files.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "handtrack/image_io.h"
#include "handtrack/video_io.h"
#include "io/ffmpeg_util.h"
#include "io/frame_rotation.h"
#include "io/rgb_table.h"
#include "io/semi_planar.h"
#include "io/video_from_memory.h"
#include "test_support.h"

namespace handtrack {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// ---- Making test files ------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("handtrack_video_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

Bytes ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

constexpr int kWidth = 64;
constexpr int kHeight = 48;
constexpr int kFrames = 10;
constexpr int kSquare = 16;
constexpr uint8_t kBackground[3] = {30, 60, 120};
constexpr uint8_t kSquareColour[3] = {230, 220, 40};

// Top-left corner of the square in frame `index`: it moves right and down, on even pixels
// so that 4:2:0 chroma blocks stay whole.
int SquareX(int index) { return 4 + 4 * index; }
int SquareY(int index) { return 4 + 2 * index; }

Image MovingSquare(int width, int height, int index) {
  Image image(width, height, PixelFormat::kRGB);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool inside = x >= SquareX(index) && x < SquareX(index) + kSquare && y >= SquareY(index) &&
                          y < SquareY(index) + kSquare;
      std::memcpy(image.data() + (y * width + x) * 3, inside ? kSquareColour : kBackground, 3);
    }
  }
  return image;
}

// Writes kFrames frames of the moving square; returns the encoder used.
std::string WriteTestVideo(const std::string& path, int width = kWidth, int height = kHeight, double fps = 10,
                           const VideoWriterOptions& options = {}) {
  auto writer = VideoWriter::Open(path, width, height, fps, options);
  if (!writer.ok()) {
    ADD_FAILURE() << writer.status().message();
    return "";
  }
  for (int i = 0; i < kFrames; ++i) {
    const Status written = (*writer)->WriteFrame(MovingSquare(width, height, i).view());
    EXPECT_TRUE(written.ok()) << written.message();
  }
  const Status closed = (*writer)->Close();
  EXPECT_TRUE(closed.ok()) << closed.message();
  return (*writer)->codec();
}

const uint8_t* PixelAt(const Image& image, int x, int y) {
  return image.data() + (static_cast<size_t>(y) * image.width() + x) * 3;
}

// Mean |a - b| over the `width` x `height` top-left region of two RGB images.
double MeanAbsDifference(const Image& a, const Image& b, int width, int height) {
  double sum = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) sum += std::abs(PixelAt(a, x, y)[c] - PixelAt(b, x, y)[c]);
    }
  }
  return sum / (3.0 * width * height);
}

void ExpectColourNear(const uint8_t* pixel, const uint8_t* expected, int tolerance,
                      const std::string& where) {
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(pixel[c], expected[c], tolerance) << where << " channel " << c;
  }
}

// The frame shows square `index` where it was drawn (centre and far background).
void ExpectMovingSquare(const Image& image, int index, int tolerance) {
  const int cx = SquareX(index) + kSquare / 2;
  const int cy = SquareY(index) + kSquare / 2;
  ExpectColourNear(PixelAt(image, cx, cy), kSquareColour, tolerance,
                   "square centre of frame " + std::to_string(index));
  ExpectColourNear(PixelAt(image, 1, image.height() - 2), kBackground, tolerance,
                   "background of frame " + std::to_string(index));
}

struct ReadAll {
  std::vector<VideoFrame> frames;
  Status end;  // OK for a clean end
};

// Reads until the end or an error; bounded so that a looping reader fails the test.
ReadAll ReadAllFrames(VideoReader& reader, int max_calls = 10000) {
  ReadAll all;
  for (int call = 0; call < max_calls; ++call) {
    VideoFrame frame;
    Result<bool> got = reader.ReadFrame(&frame);
    if (!got.ok()) {
      all.end = got.status();
      return all;
    }
    if (!*got) return all;
    all.frames.push_back(std::move(frame));
  }
  ADD_FAILURE() << "the reader did not stop after " << max_calls << " calls";
  return all;
}

// Replaces the identity display matrix of the last track header ("tkhd") of an MP4 by a
// clockwise rotation, as phones store portrait videos.
bool SetMp4Rotation(Bytes* mp4, int degrees) {
  auto be32 = [](uint32_t v) {
    return Bytes{uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  };
  auto matrix = [&](int a, int b, int c, int d) {
    Bytes out;
    for (int v : {a * 0x10000, b * 0x10000, 0, c * 0x10000, d * 0x10000, 0, 0, 0, 0x40000000}) {
      const Bytes word = be32(static_cast<uint32_t>(v));
      out.insert(out.end(), word.begin(), word.end());
    }
    return out;
  };
  const Bytes identity = matrix(1, 0, 0, 1);
  auto found = std::find_end(mp4->begin(), mp4->end(), identity.begin(), identity.end());
  if (found == mp4->end()) return false;
  const Bytes rotated = degrees == 90    ? matrix(0, 1, -1, 0)
                        : degrees == 180 ? matrix(-1, 0, 0, -1)
                                         : matrix(0, -1, 1, 0);
  std::copy(rotated.begin(), rotated.end(), found);
  return true;
}

// ---- Round trips ------------------------------------------------------------

TEST(VideoWriterReader, Mp4RoundTripKeepsFramesSizeTimestampsAndPixels) {
  TempDir dir;
  const std::string path = dir.File("square.mp4");
  VideoWriterOptions options;
  options.quality = 18;
  EXPECT_EQ(WriteTestVideo(path, kWidth, kHeight, 10, options), "libx264");

  auto reader = VideoReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const VideoInfo& info = (*reader)->info();
  EXPECT_EQ(info.width, kWidth);
  EXPECT_EQ(info.height, kHeight);
  EXPECT_DOUBLE_EQ(info.fps, 10);
  EXPECT_EQ(info.frame_count, kFrames);
  EXPECT_NEAR(info.duration_ms, 1000, 1);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.rotation_degrees, 0);

  ReadAll all = ReadAllFrames(**reader);
  EXPECT_TRUE(all.end.ok()) << all.end.message();
  ASSERT_EQ(all.frames.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    const VideoFrame& frame = all.frames[i];
    EXPECT_EQ(frame.index, i);
    EXPECT_EQ(frame.timestamp_ms, i * 100);
    ASSERT_EQ(frame.image.width(), kWidth);
    ASSERT_EQ(frame.image.height(), kHeight);
    EXPECT_EQ(frame.image.format(), PixelFormat::kRGB);
    EXPECT_LT(MeanAbsDifference(frame.image, MovingSquare(kWidth, kHeight, i), kWidth, kHeight), 4.0) << i;
    ExpectMovingSquare(frame.image, i, 8);
  }
  // The end repeats.
  VideoFrame extra;
  Result<bool> again = (*reader)->ReadFrame(&extra);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  // The CPU decoded and converted every frame; nothing was downloaded from a GPU.
  const VideoReadTimes times = (*reader)->read_times();
  EXPECT_GT(times.decode_seconds, 0.0);
  EXPECT_GT(times.convert_seconds, 0.0);
  EXPECT_EQ(times.download_seconds, 0.0);
  EXPECT_LT(times.decode_seconds + times.convert_seconds, 60.0);
}

struct ContainerCase {
  const char* file;
  const char* codec;  // empty: the writer's choice
  const char* decoded_codec;
};

class ContainerRoundTrip : public ::testing::TestWithParam<ContainerCase> {};

TEST_P(ContainerRoundTrip, DecodesWhatWasWritten) {
  TempDir dir;
  const std::string path = dir.File(GetParam().file);
  VideoWriterOptions options;
  options.codec = GetParam().codec;
  options.quality = 10;
  {
    auto writer = VideoWriter::Open(path, kWidth, kHeight, 25, options);
    if (!writer.ok() && writer.status().code() == StatusCode::kUnsupported) {
      GTEST_SKIP() << "encoder missing in this FFmpeg build: " << writer.status().message();
    }
  }
  WriteTestVideo(path, kWidth, kHeight, 25, options);

  auto reader = VideoReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->info().codec, GetParam().decoded_codec);
  EXPECT_DOUBLE_EQ((*reader)->info().fps, 25);
  ReadAll all = ReadAllFrames(**reader);
  EXPECT_TRUE(all.end.ok()) << all.end.message();
  ASSERT_EQ(all.frames.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    EXPECT_EQ(all.frames[i].timestamp_ms, i * 40);
    // Limited/full range or matrix mix-ups shift whole colours by 10 or more.
    EXPECT_LT(MeanAbsDifference(all.frames[i].image, MovingSquare(kWidth, kHeight, i), kWidth, kHeight), 4.0)
        << i;
    ExpectMovingSquare(all.frames[i].image, i, 8);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Containers, ContainerRoundTrip,
    ::testing::Values(ContainerCase{"a.mkv", "", "h264"}, ContainerCase{"a.mov", "", "h264"},
                      ContainerCase{"a.avi", "", "h264"}, ContainerCase{"a.webm", "", "vp9"},
                      ContainerCase{"a.avi", "mpeg4", "mpeg4"},
                      // MJPEG is full range (yuvj420p): checks range handling.
                      ContainerCase{"a.avi", "mjpeg", "mjpeg"}, ContainerCase{"a.mkv", "libvpx", "vp8"}));

TEST(VideoWriterReader, OddSizeIsPaddedWithTheEdge) {
  TempDir dir;
  const std::string path = dir.File("odd.mp4");
  auto writer = VideoWriter::Open(path, 63, 47, 10);
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  EXPECT_EQ((*writer)->width(), 64);
  EXPECT_EQ((*writer)->height(), 48);
  const Image picture = MovingSquare(63, 47, 3);
  ASSERT_TRUE((*writer)->WriteFrame(picture.view()).ok());
  ASSERT_TRUE((*writer)->Close().ok());

  auto reader = VideoReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  ReadAll all = ReadAllFrames(**reader);
  ASSERT_EQ(all.frames.size(), 1u);
  const Image& frame = all.frames[0].image;
  ASSERT_EQ(frame.width(), 64);
  ASSERT_EQ(frame.height(), 48);
  EXPECT_LT(MeanAbsDifference(frame, picture, 63, 47), 4.0);
  ExpectColourNear(PixelAt(frame, 63, 47), kBackground, 8, "padded corner");
}

TEST(VideoWriterReader, ThreadCountsGiveTheSamePixels) {
  TempDir dir;
  const std::string path = dir.File("threads.mp4");
  WriteTestVideo(path);
  std::vector<std::vector<VideoFrame>> runs;
  for (int threads : {1, 2, 0}) {
    VideoReaderOptions options;
    options.threads = threads;
    auto reader = VideoReader::Open(path, options);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    runs.push_back(ReadAllFrames(**reader).frames);
  }
  for (size_t run = 1; run < runs.size(); ++run) {
    ASSERT_EQ(runs[run].size(), runs[0].size());
    for (size_t i = 0; i < runs[0].size(); ++i) {
      EXPECT_EQ(MeanAbsDifference(runs[run][i].image, runs[0][i].image, kWidth, kHeight), 0.0);
      EXPECT_EQ(runs[run][i].timestamp_ms, runs[0][i].timestamp_ms);
    }
  }
}

TEST(VideoWriterReader, MemoryInputDecodesLikeTheFile) {
  TempDir dir;
  const std::string path = dir.File("memory.mkv");
  WriteTestVideo(path);
  auto from_file = VideoReader::Open(path);
  auto from_memory = OpenVideoFromMemory(ReadBytes(path), "memory.mkv");
  ASSERT_TRUE(from_file.ok() && from_memory.ok()) << from_memory.status().message();
  ReadAll file_frames = ReadAllFrames(**from_file);
  ReadAll memory_frames = ReadAllFrames(**from_memory);
  ASSERT_EQ(memory_frames.frames.size(), file_frames.frames.size());
  for (size_t i = 0; i < file_frames.frames.size(); ++i) {
    EXPECT_EQ(MeanAbsDifference(memory_frames.frames[i].image, file_frames.frames[i].image, kWidth, kHeight),
              0.0);
  }
}

// ---- Rotation -----------------------------------------------------------------

TEST(FrameRotation, TurnsPixelsClockwise) {
  // 3x2 picture, pixel value = 10 * (y * 3 + x) in every channel.
  Image source(3, 2, PixelFormat::kRGB);
  for (int i = 0; i < 6; ++i) std::memset(source.data() + i * 3, 10 * i, 3);
  auto values = [](const Image& image) {
    std::vector<int> out;
    for (int i = 0; i < image.width() * image.height(); ++i) out.push_back(image.data()[i * 3] / 10);
    return out;
  };
  Image turned;
  RotateRgbClockwise(source.data(), 3, 2, source.stride_bytes(), 90, &turned);
  EXPECT_EQ(turned.width(), 2);
  EXPECT_EQ(turned.height(), 3);
  EXPECT_EQ(values(turned), (std::vector<int>{3, 0, 4, 1, 5, 2}));
  RotateRgbClockwise(source.data(), 3, 2, source.stride_bytes(), 180, &turned);
  EXPECT_EQ(values(turned), (std::vector<int>{5, 4, 3, 2, 1, 0}));
  RotateRgbClockwise(source.data(), 3, 2, source.stride_bytes(), 270, &turned);
  EXPECT_EQ(values(turned), (std::vector<int>{2, 5, 1, 4, 0, 3}));
}

class RotatedVideo : public ::testing::TestWithParam<int> {};

TEST_P(RotatedVideo, FramesComeOutUpright) {
  const int degrees = GetParam();
  TempDir dir;
  const std::string plain = dir.File("plain.mp4");
  WriteTestVideo(plain);
  Bytes bytes = ReadBytes(plain);
  ASSERT_TRUE(SetMp4Rotation(&bytes, degrees));
  const std::string rotated = dir.File("rotated.mp4");
  WriteBytes(rotated, bytes);

  auto reader = VideoReader::Open(rotated);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const bool sideways = degrees != 180;
  EXPECT_EQ((*reader)->info().rotation_degrees, degrees);
  EXPECT_EQ((*reader)->info().width, sideways ? kHeight : kWidth);
  EXPECT_EQ((*reader)->info().height, sideways ? kWidth : kHeight);
  ReadAll all = ReadAllFrames(**reader);
  ASSERT_EQ(all.frames.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    const Image original = MovingSquare(kWidth, kHeight, i);
    Image expected;
    RotateRgbClockwise(original.data(), kWidth, kHeight, original.stride_bytes(), degrees, &expected);
    ASSERT_EQ(all.frames[i].image.width(), expected.width());
    ASSERT_EQ(all.frames[i].image.height(), expected.height());
    EXPECT_LT(MeanAbsDifference(all.frames[i].image, expected, expected.width(), expected.height()), 4.0)
        << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Degrees, RotatedVideo, ::testing::Values(90, 180, 270));

// ---- Damaged and wrong input ----------------------------------------------------

// Every error names the file and says what failed.
void ExpectClearError(const Status& status, const std::string& name) {
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("failed to ", 0), 0u) << status.message();
  EXPECT_NE(status.message().find(name), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
}

// Opens and reads a damaged file: frames (all whole) then a clean end or a clear error.
struct DamagedResult {
  bool opened = false;
  size_t frames = 0;
  Status end;
};
DamagedResult ReadDamaged(const std::string& path) {
  DamagedResult result;
  auto reader = VideoReader::Open(path);
  if (!reader.ok()) {
    ExpectClearError(reader.status(), path);
    result.end = reader.status();
    return result;
  }
  result.opened = true;
  ReadAll all = ReadAllFrames(**reader);
  for (const VideoFrame& frame : all.frames) {
    EXPECT_GT(frame.image.width(), 0);
    EXPECT_EQ(frame.image.view().Validate().ok(), true);
  }
  result.frames = all.frames.size();
  result.end = all.end;
  if (!all.end.ok()) ExpectClearError(all.end, path);
  return result;
}

TEST(VideoReaderDamaged, TruncatedMp4GivesGoodFramesThenAnError) {
  TempDir dir;
  const std::string path = dir.File("whole.mp4");
  WriteTestVideo(path);
  const Bytes whole = ReadBytes(path);
  bool saw_frames_then_error = false;
  for (double share : {0.05, 0.2, 0.4, 0.6, 0.8, 0.9, 0.97}) {
    const std::string cut = dir.File("cut.mp4");
    WriteBytes(cut, Bytes(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(whole.size() * share)));
    SCOPED_TRACE("cut at " + std::to_string(share));
    const DamagedResult result = ReadDamaged(cut);
    EXPECT_LE(result.frames, static_cast<size_t>(kFrames));
    // The index is at the front (faststart): a cut file is known to be short.
    if (result.opened) {
      EXPECT_FALSE(result.end.ok());
    }
    if (result.frames > 0 && !result.end.ok()) {
      saw_frames_then_error = true;
      EXPECT_NE(result.end.message().find("truncated"), std::string::npos) << result.end.message();
    }
  }
  EXPECT_TRUE(saw_frames_then_error);
}

TEST(VideoReaderDamaged, TruncatedMkvKeepsTheFramesBeforeTheCut) {
  TempDir dir;
  const std::string path = dir.File("whole.mkv");
  WriteTestVideo(path);
  const Bytes whole = ReadBytes(path);
  size_t last_frames = 0;
  for (double share : {0.1, 0.3, 0.5, 0.7, 0.9, 0.99}) {
    const std::string cut = dir.File("cut.mkv");
    WriteBytes(cut, Bytes(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(whole.size() * share)));
    SCOPED_TRACE("cut at " + std::to_string(share));
    const DamagedResult result = ReadDamaged(cut);
    EXPECT_LE(result.frames, static_cast<size_t>(kFrames));
    EXPECT_GE(result.frames, last_frames);  // a longer file never gives fewer frames
    last_frames = result.frames;
  }
  EXPECT_GT(last_frames, 0u);
}

TEST(VideoReaderDamaged, CorruptBytesNeverCrashOrHang) {
  TempDir dir;
  for (const char* name : {"whole.mp4", "whole.mkv", "whole.webm"}) {
    const std::string path = dir.File(name);
    WriteTestVideo(path);
    const Bytes whole = ReadBytes(path);
    ASSERT_FALSE(whole.empty());
    std::mt19937 random(1234);
    for (int trial = 0; trial < 12; ++trial) {
      Bytes damaged = whole;
      // Damage a run of bytes somewhere after the first 32 (headers included).
      const size_t start = 32 + random() % (damaged.size() - 32);
      const size_t length = 1 + random() % 64;
      for (size_t i = start; i < std::min(damaged.size(), start + length); ++i) damaged[i] = random() & 0xFF;
      const std::string corrupt = dir.File(std::string("corrupt_") + name);
      WriteBytes(corrupt, damaged);
      SCOPED_TRACE(std::string(name) + " trial " + std::to_string(trial));
      ReadDamaged(corrupt);
    }
  }
}

TEST(VideoReaderBadInput, MissingFile) {
  auto reader = VideoReader::Open("/nonexistent/clip.mp4");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound);
  ExpectClearError(reader.status(), "/nonexistent/clip.mp4");
}

TEST(VideoReaderBadInput, Directory) {
  TempDir dir;
  auto reader = VideoReader::Open(dir.path());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(reader.status().message().find("directory"), std::string::npos);
}

TEST(VideoReaderBadInput, EmptyFile) {
  TempDir dir;
  const std::string path = dir.File("empty.mp4");
  WriteBytes(path, {});
  auto reader = VideoReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kInvalidImage);
  EXPECT_NE(reader.status().message().find("empty"), std::string::npos);
}

TEST(VideoReaderBadInput, TextFileNamedMp4) {
  TempDir dir;
  const std::string path = dir.File("notes.mp4");
  const std::string text = "These are my notes, not a video.\nSecond line.\n";
  WriteBytes(path, Bytes(text.begin(), text.end()));
  auto reader = VideoReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kInvalidImage);
  ExpectClearError(reader.status(), path);
  EXPECT_NE(reader.status().message().find("text file"), std::string::npos) << reader.status().message();
}

TEST(VideoReaderBadInput, RandomBytes) {
  TempDir dir;
  const std::string path = dir.File("noise.mp4");
  Bytes noise(4096);
  std::mt19937 random(7);
  for (uint8_t& b : noise) b = random() & 0xFF;
  WriteBytes(path, noise);
  DamagedResult result = ReadDamaged(path);
  EXPECT_FALSE(result.end.ok());
}

TEST(VideoReaderBadInput, AudioOnlyFileHasNoVideoStream) {
  // A WAV header and one second of 8 kHz 8-bit silence.
  TempDir dir;
  const std::string path = dir.File("sound.wav");
  auto le32 = [](uint32_t v) {
    return Bytes{uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
  };
  Bytes wav = {'R', 'I', 'F', 'F'};
  auto append = [&](const Bytes& more) { wav.insert(wav.end(), more.begin(), more.end()); };
  append(le32(36 + 8000));
  append({'W', 'A', 'V', 'E', 'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0});
  append(le32(8000));
  append(le32(8000));
  append({1, 0, 8, 0, 'd', 'a', 't', 'a'});
  append(le32(8000));
  append(Bytes(8000, 128));
  WriteBytes(path, wav);
  auto reader = VideoReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("no video stream"), std::string::npos)
      << reader.status().message();
}

TEST(VideoReaderBadInput, VideoWithoutFrames) {
  TempDir dir;
  const std::string path = dir.File("nothing.mkv");
  {
    auto writer = VideoWriter::Open(path, kWidth, kHeight, 10);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Close().ok());
  }
  DamagedResult result = ReadDamaged(path);
  EXPECT_EQ(result.frames, 0u);
  EXPECT_FALSE(result.end.ok());
}

TEST(VideoReaderLimits, FramesAboveMaxPixelsAreRefusedAtOpen) {
  TempDir dir;
  const std::string path = dir.File("square.mp4");
  WriteTestVideo(path);
  VideoReaderOptions options;
  options.max_pixels = kWidth * kHeight - 1;
  auto reader = VideoReader::Open(path, options);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kResourceExhausted);
  ExpectClearError(reader.status(), path);
}

TEST(VideoReaderLimits, AbsurdHeaderSizeIsRefusedBeforeDecoding) {
  // A YUV4MPEG2 stream claiming 12000x10000 (120 megapixels) frames, with a few bytes of one.
  // (FFmpeg itself refuses sizes above 2^31 bytes; this one only our limit stops.)
  TempDir dir;
  const std::string path = dir.File("huge.y4m");
  const std::string header = "YUV4MPEG2 W12000 H10000 F30:1 Ip A1:1 C420jpeg\nFRAME\n";
  Bytes bytes(header.begin(), header.end());
  bytes.resize(bytes.size() + 1000, 16);
  WriteBytes(path, bytes);
  auto reader = VideoReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kResourceExhausted) << reader.status().message();
}

TEST(VideoReaderLimits, MaxFramesStopsReadingAfterTheFramesBefore) {
  TempDir dir;
  const std::string path = dir.File("square.mkv");
  WriteTestVideo(path);
  VideoReaderOptions options;
  options.max_frames = 3;
  auto reader = VideoReader::Open(path, options);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->info().frame_count, 3);  // capped estimate
  ReadAll all = ReadAllFrames(**reader);
  EXPECT_EQ(all.frames.size(), 3u);
  EXPECT_EQ(all.end.code(), StatusCode::kResourceExhausted);
}

TEST(VideoReaderLimits, BadOptionsAreRefused) {
  TempDir dir;
  const std::string path = dir.File("square.mkv");
  WriteTestVideo(path);
  VideoReaderOptions options;
  options.threads = -1;
  auto reader = VideoReader::Open(path, options);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kInvalidArgument);
}

// ---- Writer errors ------------------------------------------------------------------

TEST(VideoWriterErrors, RefusesBadArguments) {
  TempDir dir;
  EXPECT_EQ(VideoWriter::Open(dir.File("a.unknownext"), 64, 48, 10).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoWriter::Open(dir.File("a.png"), 64, 48, 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoWriter::Open(dir.File("a.wav"), 64, 48, 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoWriter::Open(dir.File("a.mp4"), 0, 48, 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoWriter::Open(dir.File("a.mp4"), 64, 48, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoWriter::Open(dir.File("a.mp4"), 64, 48, NAN).status().code(), StatusCode::kInvalidArgument);
  VideoWriterOptions options;
  options.codec = "no-such-encoder";
  EXPECT_EQ(VideoWriter::Open(dir.File("a.mp4"), 64, 48, 10, options).status().code(),
            StatusCode::kUnsupported);
  auto missing_folder = VideoWriter::Open(dir.File("missing/a.mp4"), 64, 48, 10);
  ASSERT_FALSE(missing_folder.ok());
  ExpectClearError(missing_folder.status(), "a.mp4");
}

TEST(VideoWriterErrors, RefusesWrongFramesAndWritesAfterClose) {
  TempDir dir;
  auto writer = VideoWriter::Open(dir.File("a.mp4"), 64, 48, 10);
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  EXPECT_EQ((*writer)->WriteFrame(MovingSquare(32, 48, 0).view()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*writer)->WriteFrame(ImageView{}).code(), StatusCode::kInvalidArgument);
  // BGRA is accepted too.
  Image bgra(64, 48, PixelFormat::kBGRA);
  EXPECT_TRUE((*writer)->WriteFrame(bgra.view()).ok());
  EXPECT_TRUE((*writer)->Close().ok());
  EXPECT_TRUE((*writer)->Close().ok());
  EXPECT_EQ((*writer)->WriteFrame(MovingSquare(64, 48, 0).view()).code(), StatusCode::kFailedPrecondition);
}

// ---- Frame folders ------------------------------------------------------------------

TEST(FrameDirectory, ReadsFramesInNumericOrderAtTheGivenRate) {
  TempDir dir;
  // ffmpeg numbers frames frame1.png ... frame12.png, without zero padding.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(
        WritePngFile(dir.File("frame" + std::to_string(i + 1) + ".png"), MovingSquare(64, 48, i % 10).view())
            .ok());
  }
  WriteBytes(dir.File("notes.txt"), {'h', 'i'});
  auto reader = VideoReader::OpenFrameDirectory(dir.path(), 5);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const VideoInfo& info = (*reader)->info();
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_EQ(info.frame_count, 12);
  EXPECT_DOUBLE_EQ(info.fps, 5);
  EXPECT_EQ(info.codec, "png");
  EXPECT_EQ(info.duration_ms, 2400);
  ReadAll all = ReadAllFrames(**reader);
  EXPECT_TRUE(all.end.ok()) << all.end.message();
  ASSERT_EQ(all.frames.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(all.frames[i].index, i);
    EXPECT_EQ(all.frames[i].timestamp_ms, i * 200);
    EXPECT_EQ(MeanAbsDifference(all.frames[i].image, MovingSquare(64, 48, i % 10), 64, 48), 0.0) << i;
  }
}

TEST(FrameDirectory, BadFrameIsReportedAfterTheGoodOnes) {
  TempDir dir;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(
        WritePngFile(dir.File("f" + std::to_string(i) + ".png"), MovingSquare(64, 48, i).view()).ok());
  }
  WriteBytes(dir.File("f3.png"), {'n', 'o', 't', ' ', 'a', ' ', 'p', 'n', 'g'});
  auto reader = VideoReader::OpenFrameDirectory(dir.path(), 30);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  ReadAll all = ReadAllFrames(**reader);
  EXPECT_EQ(all.frames.size(), 3u);
  ExpectClearError(all.end, "f3.png");
}

TEST(FrameDirectory, RefusesBadFoldersAndRates) {
  TempDir dir;
  EXPECT_EQ(VideoReader::OpenFrameDirectory(dir.path(), 30).status().code(),
            StatusCode::kInvalidImage);  // empty
  EXPECT_EQ(VideoReader::OpenFrameDirectory(dir.File("missing"), 30).status().code(), StatusCode::kNotFound);
  WriteBytes(dir.File("a.png"), {1, 2, 3});
  EXPECT_EQ(VideoReader::OpenFrameDirectory(dir.File("a.png"), 30).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoReader::OpenFrameDirectory(dir.path(), 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoReader::OpenFrameDirectory(dir.path(), -1).status().code(), StatusCode::kInvalidArgument);
  // The first frame is decoded at open: a broken one fails there.
  auto broken = VideoReader::OpenFrameDirectory(dir.path(), 30);
  ASSERT_FALSE(broken.ok());
  ExpectClearError(broken.status(), "a.png");
}

// ---- Hardware decoding --------------------------------------------------------------
// These pass with and without a GPU: where kAuto or kCuda get the GPU, the decoder says
// "(cuda)" and the frames are the CPU's; elsewhere kAuto says "(cpu)" with its reason and
// kCuda is an error. Without NVIDIA's driver (no libcuda.so.1) the CPU path is required.

bool NvidiaDriverLoads() {
  void* handle = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (handle) dlclose(handle);
  return handle != nullptr;
}

// The largest |a - b| over two RGB images of one size.
int MaxAbsDifference(const Image& a, const Image& b) {
  int largest = 0;
  for (int y = 0; y < a.height(); ++y) {
    for (int x = 0; x < a.width(); ++x) {
      for (int c = 0; c < 3; ++c)
        largest = std::max(largest, std::abs(PixelAt(a, x, y)[c] - PixelAt(b, x, y)[c]));
    }
  }
  return largest;
}

// Frames of `hardware` against those of the CPU: the same indexes and timestamps, and the
// same pixels. Standard decoders are bit-exact and the GPU's planes are converted as the
// CPU's, so a GPU's frames are expected to be equal too; up to 1 is allowed there, the
// rounding a different swscale path would add, as no GPU runs this test in CI.
void ExpectFramesOfTheCpu(const ReadAll& cpu, const ReadAll& hardware, bool on_gpu) {
  EXPECT_TRUE(hardware.end.ok()) << hardware.end.message();
  ASSERT_EQ(hardware.frames.size(), cpu.frames.size());
  for (size_t i = 0; i < cpu.frames.size(); ++i) {
    EXPECT_EQ(hardware.frames[i].index, cpu.frames[i].index);
    EXPECT_EQ(hardware.frames[i].timestamp_ms, cpu.frames[i].timestamp_ms);
    ASSERT_EQ(hardware.frames[i].image.width(), cpu.frames[i].image.width());
    ASSERT_EQ(hardware.frames[i].image.height(), cpu.frames[i].image.height());
    EXPECT_LE(MaxAbsDifference(hardware.frames[i].image, cpu.frames[i].image), on_gpu ? 1 : 0)
        << "frame " << i;
  }
}

// The GPU's NV12 / P010 pictures split into the CPU decoder's planes, sample for sample, at
// odd sizes and with padded rows.
TEST(SemiPlanar, SplitsNv12AndP010IntoThePlanesOfTheCpuDecoder) {
  for (const int bytes : {1, 2}) {
    const int width = 7;
    const int height = 5;
    const int chroma_width = 4;
    const int chroma_height = 3;
    const int shift = bytes == 1 ? 0 : 6;  // NV12; P010 to 10-bit planes
    auto sample = [&](int plane, int x, int y) {
      return (plane * 97 + y * 31 + x * 7) % (bytes == 1 ? 256 : 1024);
    };
    auto put = [&](Bytes& buffer, int stride, int x, int y, int value) {
      if (bytes == 1) {
        buffer[y * stride + x] = static_cast<uint8_t>(value);
      } else {
        const uint16_t word = static_cast<uint16_t>(value);
        std::memcpy(&buffer[y * stride + 2 * x], &word, 2);
      }
    };
    auto get = [&](const Bytes& buffer, int stride, int x, int y) {
      if (bytes == 1) return static_cast<int>(buffer[y * stride + x]);
      uint16_t word = 0;
      std::memcpy(&word, &buffer[y * stride + 2 * x], 2);
      return static_cast<int>(word);
    };
    const int in_stride = 32;
    const int out_stride = 24;
    Bytes luma(in_stride * height), chroma(in_stride * chroma_height);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) put(luma, in_stride, x, y, sample(0, x, y) << shift);
    }
    for (int y = 0; y < chroma_height; ++y) {
      for (int x = 0; x < chroma_width; ++x) {
        put(chroma, in_stride, 2 * x, y, sample(1, x, y) << shift);
        put(chroma, in_stride, 2 * x + 1, y, sample(2, x, y) << shift);
      }
    }
    Bytes y_plane(out_stride * height, 0xEE), u_plane(out_stride * chroma_height, 0xEE),
        v_plane(out_stride * chroma_height, 0xEE);
    SplitSemiPlanar(width, height, bytes, shift, {luma.data(), in_stride}, {chroma.data(), in_stride},
                    {y_plane.data(), out_stride}, {u_plane.data(), out_stride}, {v_plane.data(), out_stride});
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) ASSERT_EQ(get(y_plane, out_stride, x, y), sample(0, x, y)) << bytes;
      EXPECT_EQ(y_plane[y * out_stride + width * bytes], 0xEE) << "wrote past the row";
    }
    for (int y = 0; y < chroma_height; ++y) {
      for (int x = 0; x < chroma_width; ++x) {
        ASSERT_EQ(get(u_plane, out_stride, x, y), sample(1, x, y)) << bytes;
        ASSERT_EQ(get(v_plane, out_stride, x, y), sample(2, x, y)) << bytes;
      }
    }
  }
}

TEST(VideoReaderHardware, NoneDecodesOnTheCpuAsBefore) {
  TempDir dir;
  const std::string path = dir.File("square.mp4");
  WriteTestVideo(path);
  VideoReaderOptions none;
  none.hardware_decode = HardwareDecode::kNone;
  EXPECT_EQ(VideoReaderOptions().hardware_decode, HardwareDecode::kNone);  // the default
  auto reader = VideoReader::Open(path, none);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->info().decoder, "h264 (cpu)");
  EXPECT_EQ((*reader)->info().hardware_fallback_reason, "");
  ReadAll all = ReadAllFrames(**reader);
  EXPECT_TRUE(all.end.ok()) << all.end.message();
  ASSERT_EQ(all.frames.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) ExpectMovingSquare(all.frames[i].image, i, 8);
}

struct HardwareCase {
  const char* file;
  const char* codec;  // for the writer; empty: its choice
  const char* decoder;
};

class AutoHardwareDecode : public ::testing::TestWithParam<HardwareCase> {};

TEST_P(AutoHardwareDecode, UsesTheGpuOrSaysWhyNotAndGivesTheCpusFrames) {
  TempDir dir;
  const std::string path = dir.File(GetParam().file);
  VideoWriterOptions writer_options;
  writer_options.codec = GetParam().codec;
  {
    auto writer = VideoWriter::Open(path, kWidth, kHeight, 10, writer_options);
    if (!writer.ok() && writer.status().code() == StatusCode::kUnsupported) {
      GTEST_SKIP() << "encoder missing in this FFmpeg build: " << writer.status().message();
    }
  }
  WriteTestVideo(path, kWidth, kHeight, 10, writer_options);
  auto cpu = VideoReader::Open(path);
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  VideoReaderOptions options;
  options.hardware_decode = HardwareDecode::kAuto;
  auto reader = VideoReader::Open(path, options);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const VideoInfo info = (*reader)->info();
  const std::string decoder = GetParam().decoder;
  const bool on_gpu = info.decoder == decoder + " (cuda)";
  if (on_gpu) {
    EXPECT_EQ(info.hardware_fallback_reason, "");
  } else {
    EXPECT_EQ(info.decoder, decoder + " (cpu)");
    EXPECT_FALSE(info.hardware_fallback_reason.empty());
    EXPECT_EQ(info.hardware_fallback_reason.find('\n'), std::string::npos) << info.hardware_fallback_reason;
  }
  if (!NvidiaDriverLoads()) {
    EXPECT_FALSE(on_gpu);
    EXPECT_NE(info.hardware_fallback_reason.find("no CUDA device: libcuda.so.1 cannot be loaded"),
              std::string::npos)
        << info.hardware_fallback_reason;
  }
  ExpectFramesOfTheCpu(ReadAllFrames(**cpu), ReadAllFrames(**reader), on_gpu);
  // Reading does not change what info() said at open.
  EXPECT_EQ((*reader)->info().decoder, info.decoder);
  EXPECT_EQ((*reader)->info().hardware_fallback_reason, info.hardware_fallback_reason);
}

// H.264 (NVDEC takes 64x48), VP9 (it does not: below its 128x128 minimum, so a GPU falls
// back at the first frame) and full-range MJPEG.
INSTANTIATE_TEST_SUITE_P(Codecs, AutoHardwareDecode,
                         ::testing::Values(HardwareCase{"a.mp4", "", "h264"},
                                           HardwareCase{"a.webm", "", "vp9"},
                                           HardwareCase{"a.avi", "mjpeg", "mjpeg"}));

TEST(VideoReaderHardware, CudaIsTheGpuOrAClearError) {
  TempDir dir;
  const std::string path = dir.File("square.mp4");
  WriteTestVideo(path);
  VideoReaderOptions options;
  options.hardware_decode = HardwareDecode::kCuda;
  auto reader = VideoReader::Open(path, options);
  if (reader.ok()) {  // a GPU machine
    EXPECT_EQ((*reader)->info().decoder, "h264 (cuda)");
    EXPECT_EQ((*reader)->info().hardware_fallback_reason, "");
    auto cpu = VideoReader::Open(path);
    ASSERT_TRUE(cpu.ok()) << cpu.status().message();
    ExpectFramesOfTheCpu(ReadAllFrames(**cpu), ReadAllFrames(**reader), true);
    return;
  }
  EXPECT_EQ(reader.status().code(), StatusCode::kUnavailable);
  ExpectClearError(reader.status(), path);
  EXPECT_EQ(reader.status().message().rfind("failed to open " + path + ": no CUDA decoder: ", 0), 0u)
      << reader.status().message();
  // The same from memory.
  auto from_memory = OpenVideoFromMemory(ReadBytes(path), "memory.mp4", options);
  ASSERT_FALSE(from_memory.ok());
  EXPECT_EQ(from_memory.status().code(), StatusCode::kUnavailable);
  ExpectClearError(from_memory.status(), "memory.mp4");
}

TEST(VideoReaderHardware, FrameFoldersAreDecodedOnTheCpu) {
  TempDir dir;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        WritePngFile(dir.File("f" + std::to_string(i) + ".png"), MovingSquare(64, 48, i).view()).ok());
  }
  auto plain = VideoReader::OpenFrameDirectory(dir.path(), 30);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ((*plain)->info().decoder, "png (cpu)");
  EXPECT_EQ((*plain)->info().hardware_fallback_reason, "");
  VideoReaderOptions options;
  options.hardware_decode = HardwareDecode::kAuto;
  auto automatic = VideoReader::OpenFrameDirectory(dir.path(), 30, options);
  ASSERT_TRUE(automatic.ok()) << automatic.status().message();
  EXPECT_EQ((*automatic)->info().decoder, "png (cpu)");
  EXPECT_NE((*automatic)->info().hardware_fallback_reason, "");
  EXPECT_EQ(ReadAllFrames(**automatic).frames.size(), 3u);
  options.hardware_decode = HardwareDecode::kCuda;
  auto cuda = VideoReader::OpenFrameDirectory(dir.path(), 30, options);
  ASSERT_FALSE(cuda.ok());
  EXPECT_EQ(cuda.status().code(), StatusCode::kUnavailable);
  ExpectClearError(cuda.status(), dir.path());
}

TEST(VideoReaderHardware, BadModeIsRefusedAndModesHaveNames) {
  TempDir dir;
  const std::string path = dir.File("square.mkv");
  WriteTestVideo(path);
  VideoReaderOptions options;
  options.hardware_decode = static_cast<HardwareDecode>(7);
  EXPECT_EQ(VideoReader::Open(path, options).status().code(), StatusCode::kInvalidArgument);
  EXPECT_STREQ(HardwareDecodeName(HardwareDecode::kNone), "none");
  EXPECT_STREQ(HardwareDecodeName(HardwareDecode::kAuto), "auto");
  EXPECT_STREQ(HardwareDecodeName(HardwareDecode::kCuda), "cuda");
  options.hardware_decode = HardwareDecode::kAuto;
  options.cuda_decoding_context = static_cast<CudaDecodingContext>(5);
  const Status bad_context = VideoReader::Open(path, options).status();
  EXPECT_EQ(bad_context.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_context.message().find("cuda_decoding_context"), std::string::npos) << bad_context.message();
  EXPECT_STREQ(CudaDecodingContextName(CudaDecodingContext::kShared), "shared");
  EXPECT_STREQ(CudaDecodingContextName(CudaDecodingContext::kSeparate), "separate");
}

// Without a GPU both contexts fall back the same visible way under kAuto (the CPU decodes, the
// reason said), and kCuda fails at open naming the reason: the shared context adds no new
// way to fail on CPU-only machines.
TEST(VideoReaderHardware, BothDecodingContextsFallBackAlikeWithoutAGpu) {
  if (NvidiaDriverLoads()) GTEST_SKIP() << "NVIDIA's driver loads here: the contexts are checked on the GPU";
  TempDir dir;
  const std::string path = dir.File("square.mkv");
  WriteTestVideo(path);
  for (CudaDecodingContext context : {CudaDecodingContext::kShared, CudaDecodingContext::kSeparate}) {
    VideoReaderOptions options;
    options.cuda_decoding_context = context;
    options.hardware_decode = HardwareDecode::kAuto;
    auto reader = VideoReader::Open(path, options);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    EXPECT_NE((*reader)->info().decoder.find("(cpu)"), std::string::npos);
    EXPECT_FALSE((*reader)->info().hardware_fallback_reason.empty());
    options.hardware_decode = HardwareDecode::kCuda;
    const Status refused = VideoReader::Open(path, options).status();
    EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << CudaDecodingContextName(context);
    EXPECT_NE(refused.message().find("no CUDA decoder"), std::string::npos) << refused.message();
  }
}

// ---- The shared videos against the golden files ----------------------------------

struct GoldenVideo {
  size_t frames = 0;
  int width = 0;
  int height = 0;
};

// Frame count and size from a golden VIDEO-mode file: one "file" key per frame.
GoldenVideo ReadGoldenVideo(const std::string& path) {
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GoldenVideo golden;
  for (size_t at = text.find("\"file\""); at != std::string::npos; at = text.find("\"file\"", at + 1)) {
    ++golden.frames;
  }
  auto number_after = [&](const std::string& key) {
    const size_t at = text.find("\"" + key + "\":", text.find("\"frames\""));
    return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + key.size() + 3);
  };
  golden.width = number_after("width");
  golden.height = number_after("height");
  return golden;
}

TEST(SharedVideos, FrameCountsAndSizesMatchTheGoldenFiles) {
  const std::string shared = testing::SharedDir();
  const std::string videos = shared + "/data/hands/videos";
  HT_REQUIRE_FIXTURE(!shared.empty() && fs::is_directory(videos), "shared videos (" + videos + ")");
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(videos)) {
    if (entry.path().extension() != ".mp4") continue;
    const std::string name = entry.path().stem().string();
    const std::string golden_path = shared + "/golden/videos/" + name + ".tasks_full.json";
    if (!fs::exists(golden_path)) continue;
    SCOPED_TRACE(name);
    const GoldenVideo golden = ReadGoldenVideo(golden_path);
    auto reader = VideoReader::Open(entry.path().string());
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    const VideoInfo& info = (*reader)->info();
    EXPECT_EQ(info.width, golden.width);
    EXPECT_EQ(info.height, golden.height);
    EXPECT_EQ(info.frame_count, static_cast<int64_t>(golden.frames));
    ReadAll all = ReadAllFrames(**reader);
    EXPECT_TRUE(all.end.ok()) << all.end.message();
    EXPECT_EQ(all.frames.size(), golden.frames);
    for (const VideoFrame& frame : all.frames) {
      ASSERT_EQ(frame.image.width(), golden.width);
      ASSERT_EQ(frame.image.height(), golden.height);
      // Constant-rate files: pts-based time agrees with index / fps.
      EXPECT_NEAR(frame.timestamp_ms, frame.index * 1000.0 / info.fps, 1.0) << frame.index;
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

// ---- NV12 to RGB (handtrack/gpu_frame.h): the conversion of frames kept on the GPU --------

// Every luma, chroma pair through ConvertNv12ToRgb against the exact (double) BT.601 /
// BT.709 formulas, rounded and clamped: at most one level off, and exact for nearly all.
TEST(ConvertNv12ToRgb, IsTheExactFormulaRoundedToWithinOneLevel) {
  for (const YuvMatrix matrix : {YuvMatrix::kBt601, YuvMatrix::kBt709, YuvMatrix::kBt2020}) {
    for (const bool full_range : {false, true}) {
      const double kr = matrix == YuvMatrix::kBt601 ? 0.299 : matrix == YuvMatrix::kBt709 ? 0.2126 : 0.2627;
      const double kb = matrix == YuvMatrix::kBt601 ? 0.114 : matrix == YuvMatrix::kBt709 ? 0.0722 : 0.0593;
      const double kg = 1 - kr - kb;
      // A 512 x 256 frame: 256 x 128 chroma pairs (every U and every even V), and every luma.
      Nv12View view;
      view.width = 512;
      view.height = 256;
      view.luma_stride_bytes = view.chroma_stride_bytes = 512;
      view.matrix = matrix;
      view.full_range = full_range;
      std::vector<uint8_t> luma(512 * 256), chroma(512 * 128), rgb(512 * 256 * 3);
      for (int y = 0; y < 256; ++y) {
        for (int x = 0; x < 512; ++x) luma[y * 512 + x] = static_cast<uint8_t>((x * 7 + y) & 0xff);
      }
      for (int y = 0; y < 128; ++y) {
        for (int x = 0; x < 256; ++x) {
          chroma[y * 512 + 2 * x] = static_cast<uint8_t>(x);
          chroma[y * 512 + 2 * x + 1] = static_cast<uint8_t>(2 * y + (x & 1));
        }
      }
      view.luma = luma.data();
      view.chroma = chroma.data();
      ASSERT_TRUE(view.Validate().ok());
      ConvertNv12ToRgb(view, rgb.data());
      int worst = 0;
      int64_t off = 0;
      for (int y = 0; y < 256; ++y) {
        for (int x = 0; x < 512; ++x) {
          const int l = luma[y * 512 + x];
          const int u = chroma[(y / 2) * 512 + (x / 2) * 2] - 128;
          const int v = chroma[(y / 2) * 512 + (x / 2) * 2 + 1] - 128;
          const double ys = full_range ? l : (l - 16) * 255.0 / 219.0;
          const double cs = full_range ? 1.0 : 255.0 / 224.0;
          const double exact[3] = {ys + 2 * (1 - kr) * cs * v,
                                   ys - (2 * kb * (1 - kb) / kg * u + 2 * kr * (1 - kr) / kg * v) * cs,
                                   ys + 2 * (1 - kb) * cs * u};
          for (int c = 0; c < 3; ++c) {
            const int expected = static_cast<int>(std::clamp(std::lround(exact[c]), 0L, 255L));
            const int difference = std::abs(rgb[(y * 512 + x) * 3 + c] - expected);
            worst = std::max(worst, difference);
            off += difference != 0;
          }
        }
      }
      EXPECT_LE(worst, 1) << "matrix " << static_cast<int>(matrix) << " full range " << full_range;
      EXPECT_LT(off, 512 * 256 * 3 / 1000) << "matrix " << static_cast<int>(matrix);
    }
  }
  // Black and white of limited range are 0 and 255 exactly.
  const uint8_t black_luma[2] = {16, 235}, grey_chroma[2] = {128, 128};
  Nv12View two{black_luma, grey_chroma, 2, 1, 2, 2, YuvMatrix::kBt601, false};
  uint8_t out[6];
  ConvertNv12ToRgb(two, out);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 6), (std::vector<uint8_t>{0, 0, 0, 255, 255, 255}));
}

// The formula (an NV12 view without a table) against the reader's conversion (swscale, the
// ffmpeg tool's): at most three levels apart, 0.8 on average (this machine's FFmpeg 5.1:
// swscale's fast path lies below the exact formula by 0.5-1.2 levels on average per channel,
// where ConvertNv12ToRgb rounds it to within one level). On the GPU path that moved landmarks
// enough to change hand counts on a shared video (docs/CUDA.md), which is why the reader's GPU
// frames carry swscale's table instead.
TEST(ConvertNv12ToRgb, StaysWithinThreeLevelsOfSwscale) {
  constexpr int kWidth = 640, kHeight = 480;
  std::mt19937 rng(5);
  std::vector<uint8_t> luma(kWidth * kHeight), u(kWidth * kHeight / 4), v(kWidth * kHeight / 4),
      chroma(kWidth * kHeight / 2);
  // Smooth content with noise, as video has: random values alone would stress swscale's
  // chroma path no differently.
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x)
      luma[y * kWidth + x] = static_cast<uint8_t>(16 + (x + y + rng() % 40) % 220);
  }
  for (size_t i = 0; i < u.size(); ++i) {
    u[i] = static_cast<uint8_t>(16 + rng() % 225);
    v[i] = static_cast<uint8_t>(16 + rng() % 225);
    chroma[2 * i] = u[i];
    chroma[2 * i + 1] = v[i];
  }
  for (const bool bt709 : {false, true}) {
    Nv12View view{luma.data(),
                  chroma.data(),
                  kWidth,
                  kHeight,
                  kWidth,
                  kWidth,
                  bt709 ? YuvMatrix::kBt709 : YuvMatrix::kBt601,
                  false};
    std::vector<uint8_t> ours(kWidth * kHeight * 3);
    ConvertNv12ToRgb(view, ours.data());
    // As the reader converts (video_reader.cc): yuv420p, bicubic flags, the stream's matrix.
    SwsContext* sws = sws_getContext(kWidth, kHeight, AV_PIX_FMT_YUV420P, kWidth, kHeight, AV_PIX_FMT_RGB24,
                                     SWS_BICUBIC, nullptr, nullptr, nullptr);
    ASSERT_NE(sws, nullptr);
    sws_setColorspaceDetails(sws, sws_getCoefficients(bt709 ? SWS_CS_ITU709 : SWS_CS_ITU601), 0,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    const int stride = kWidth * 3 + 64;
    std::vector<uint8_t> theirs(static_cast<size_t>(stride) * (kHeight + 1));
    const uint8_t* planes[4] = {luma.data(), u.data(), v.data(), nullptr};
    const int strides[4] = {kWidth, kWidth / 2, kWidth / 2, 0};
    uint8_t* out[4] = {theirs.data(), nullptr, nullptr, nullptr};
    const int out_strides[4] = {stride, 0, 0, 0};
    ASSERT_EQ(sws_scale(sws, planes, strides, 0, kHeight, out, out_strides), kHeight);
    sws_freeContext(sws);
    int worst = 0;
    double total = 0;
    for (int y = 0; y < kHeight; ++y) {
      for (int i = 0; i < kWidth * 3; ++i) {
        const int difference = std::abs(ours[y * kWidth * 3 + i] - theirs[y * stride + i]);
        worst = std::max(worst, difference);
        total += difference;
      }
    }
    const double mean = total / (kWidth * kHeight * 3);
    EXPECT_LE(worst, 3) << (bt709 ? "BT.709" : "BT.601");
    EXPECT_LT(mean, 1.0) << (bt709 ? "BT.709" : "BT.601");
    std::printf("ConvertNv12ToRgb against swscale (%s): largest difference %d, mean %.3f levels\n",
                bt709 ? "BT.709" : "BT.601", worst, mean);
  }
}

// The colour table of the GPU frames (io/rgb_table.h) is the reader's conversion exactly: random
// 4:2:0 pictures through swscale set up as the reader sets it up, and through the table (as
// ConvertNv12ToRgb and the CUDA sampler use it), give the same bytes.
TEST(SwscaleRgbTable, GivesTheReadersConversionByteForByte) {
  struct SetUp {
    int colorspace;
    bool full_range;
  };
  for (const SetUp set_up :
       {SetUp{AVCOL_SPC_UNSPECIFIED, false}, SetUp{AVCOL_SPC_BT709, false}, SetUp{AVCOL_SPC_BT470BG, true}}) {
    Result<std::shared_ptr<const std::vector<uint32_t>>> table =
        ffmpeg::SwscaleRgbTable(AV_PIX_FMT_YUV420P, set_up.colorspace, set_up.full_range);
    ASSERT_TRUE(table.ok()) << table.status().message();
    ASSERT_EQ((*table)->size(), size_t{1} << 24);
    // Made once: the second call gives the same table.
    EXPECT_EQ(ffmpeg::SwscaleRgbTable(AV_PIX_FMT_YUV420P, set_up.colorspace, set_up.full_range)->get(),
              table->get());
    for (const auto& [width, height] : {std::pair{640, 480}, std::pair{1280, 720}}) {
      std::mt19937 rng(static_cast<uint32_t>(width + set_up.colorspace));
      std::vector<uint8_t> luma(static_cast<size_t>(width) * height), u(luma.size() / 4), v(luma.size() / 4),
          chroma(luma.size() / 2);
      for (uint8_t& b : luma) b = static_cast<uint8_t>(rng() & 0xff);
      for (size_t i = 0; i < u.size(); ++i) {
        chroma[2 * i] = u[i] = static_cast<uint8_t>(rng() & 0xff);
        chroma[2 * i + 1] = v[i] = static_cast<uint8_t>(rng() & 0xff);
      }
      ffmpeg::SwsPtr sws = ffmpeg::CreateRgbConverter(width, height, AV_PIX_FMT_YUV420P);
      ASSERT_NE(sws, nullptr);
      ffmpeg::SetRgbColorspace(sws.get(), set_up.colorspace, set_up.full_range);
      const int stride = width * 3 + 64;  // room for swscale's x86 writes past a row
      std::vector<uint8_t> theirs(static_cast<size_t>(stride) * (height + 1));
      const uint8_t* planes[4] = {luma.data(), u.data(), v.data(), nullptr};
      const int strides[4] = {width, width / 2, width / 2, 0};
      uint8_t* out[4] = {theirs.data(), nullptr, nullptr, nullptr};
      const int out_strides[4] = {stride, 0, 0, 0};
      ASSERT_EQ(sws_scale(sws.get(), planes, strides, 0, height, out, out_strides), height);
      Nv12View view{luma.data(), chroma.data(), width, height, width, width, YuvMatrix::kBt601, false};
      view.rgb_table = (*table)->data();
      std::vector<uint8_t> ours(static_cast<size_t>(width) * height * 3);
      ConvertNv12ToRgb(view, ours.data());
      int differing = 0;
      for (int y = 0; y < height; ++y) {
        differing += !std::equal(ours.begin() + static_cast<size_t>(y) * width * 3,
                                 ours.begin() + static_cast<size_t>(y + 1) * width * 3,
                                 theirs.begin() + static_cast<size_t>(y) * stride);
      }
      EXPECT_EQ(differing, 0) << width << "x" << height << " colorspace " << set_up.colorspace
                              << " full range " << set_up.full_range << ": rows that differ";
    }
  }
}

// Without a GPU the option changes nothing: RGB frames, and VideoInfo says they are not on it.
TEST(VideoReaderFramesOnGpu, WithoutHardwareDecodingFramesComeAsRgb) {
  TempDir dir;
  const std::string path = dir.File("small.mp4");
  ASSERT_FALSE(WriteTestVideo(path, 64, 48).empty());
  VideoReaderOptions options;
  options.frames_on_gpu = true;  // hardware_decode stays kNone
  Result<std::unique_ptr<VideoReader>> reader = VideoReader::Open(path, options);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_FALSE((*reader)->info().frames_on_gpu);
  VideoFrame frame;
  Result<bool> got = (*reader)->ReadFrame(&frame);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(frame.gpu, nullptr);
  EXPECT_EQ(frame.width(), 64);
  EXPECT_EQ(frame.height(), 48);
}

// A decoder stores the stream's colour description as read: video_decode_fuzz found a stream
// header giving colorspace 142, outside AVColorSpace, which loaded through the enum type was
// undefined behaviour (UBSan). The reader and the GPU download read and copy the bits instead.
// (The fix's commit said the header was H.264's; FFmpeg's H.264 parser turns unknown values
// into "unspecified", so it more likely came through a codec like the next test's.)
TEST(FfmpegColorDescription, ValuesOutsideTheEnumsAreReadAndCopiedAsTheyAre) {
  AVFrame* from = av_frame_alloc();
  AVFrame* to = av_frame_alloc();
  ASSERT_NE(from, nullptr);
  ASSERT_NE(to, nullptr);
  const int outside_space = 142;
  const int outside_range = 7;
  std::memcpy(&from->colorspace, &outside_space, sizeof outside_space);
  std::memcpy(&from->color_range, &outside_range, sizeof outside_range);
  EXPECT_EQ(ffmpeg::RawColorSpace(*from), 142);
  EXPECT_EQ(ffmpeg::RawColorRange(*from), 7);
  ffmpeg::CopyColorDescription(*from, to);
  EXPECT_EQ(ffmpeg::RawColorSpace(*to), 142);
  EXPECT_EQ(ffmpeg::RawColorRange(*to), 7);
  // An unknown matrix gets swscale's default coefficients rather than a crash.
  EXPECT_NE(sws_getCoefficients(ffmpeg::RawColorSpace(*to)), nullptr);
  av_frame_free(&from);
  av_frame_free(&to);
}

// The same through a real stream: MPEG-2's sequence display extension carries the matrix as
// a plain byte, which FFmpeg's decoder stores unchecked (its H.264 parser maps unknown values
// to "unspecified": an H.264 stream rewritten to say 142 never reaches the reader with it).
// A stream whose byte says 142 decodes, with swscale's default coefficients, to the pixels of
// the same stream saying SMPTE 170M (6, what VideoWriter writes), whose coefficients are that
// default. Under UBSan (scripts/test.sh's sanitizer stage) a load of 142 through AVColorSpace
// would stop this test.
TEST(FfmpegColorDescription, AStreamWithAMatrixOutsideTheEnumDecodesWithTheDefaultCoefficients) {
  TempDir dir;
  const std::string plain = dir.File("plain.m2v");
  VideoWriterOptions options;
  options.codec = "mpeg2video";
  {
    auto writer = VideoWriter::Open(plain, kWidth, kHeight, 10, options);
    if (!writer.ok()) GTEST_SKIP() << "no MPEG-2 encoder in this FFmpeg: " << writer.status().message();
  }
  WriteTestVideo(plain, kWidth, kHeight, 10, options);
  Bytes bytes = ReadBytes(plain);
  // Extension start code 00 00 01 B5, then 4 bits of extension id (2: sequence display), 3 of
  // video format and the colour-description flag; primaries, transfer, matrix follow as bytes.
  const uint8_t kExtension[] = {0, 0, 1, 0xB5};
  auto at = std::search(bytes.begin(), bytes.end(), std::begin(kExtension), std::end(kExtension));
  while (at != bytes.end() && (at + 7 >= bytes.end() || (at[4] >> 4) != 2)) {
    at = std::search(at + 1, bytes.end(), std::begin(kExtension), std::end(kExtension));
  }
  ASSERT_NE(at, bytes.end()) << "no sequence display extension in " << plain;
  ASSERT_EQ(at[4] & 1, 1) << "no colour description";
  ASSERT_EQ(at[7], 6) << "matrix coefficients: expected SMPTE 170M";
  at[7] = 142;
  const std::string patched = dir.File("matrix142.m2v");
  WriteBytes(patched, bytes);

  auto plain_reader = VideoReader::Open(plain);
  auto patched_reader = VideoReader::Open(patched);
  ASSERT_TRUE(plain_reader.ok()) << plain_reader.status().message();
  ASSERT_TRUE(patched_reader.ok()) << patched_reader.status().message();
  ReadAll expected = ReadAllFrames(**plain_reader);
  ReadAll got = ReadAllFrames(**patched_reader);
  EXPECT_TRUE(got.end.ok()) << got.end.message();
  ASSERT_EQ(got.frames.size(), static_cast<size_t>(kFrames));
  ASSERT_EQ(expected.frames.size(), got.frames.size());
  for (size_t i = 0; i < got.frames.size(); ++i) {
    const Image& a = expected.frames[i].image;
    const Image& b = got.frames[i].image;
    ASSERT_EQ(a.width(), b.width());
    ASSERT_EQ(a.height(), b.height());
    EXPECT_EQ(MeanAbsDifference(a, b, a.width(), a.height()), 0.0) << "frame " << i;
  }
}

}  // namespace
}  // namespace handtrack

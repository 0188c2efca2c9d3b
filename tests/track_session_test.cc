// TrackVideo with a video opened ahead (OpenTrackVideo, as `track` opens its jobs' first videos
// while the engine starts): the same output as a video TrackVideo opens itself, the wait before
// tracking reported apart from the processing time, a video opened for another GPU than its
// engine's opened again, and a video that does not open failing with its name.
#include "track_session.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "landmarker_expect.h"
#include "test_support.h"

namespace handtrack::cli {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Delegate CpuDelegate() {
  for (const BackendInfo& backend : ListBackends()) {
    if (backend.name == "xnnpack" && backend.available) return Delegate::kXnnpack;
  }
  return Delegate::kReference;
}

class TrackVideoOpenedAhead : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::ModelDir().empty() || testing::SharedDir().empty()) {
      GTEST_SKIP() << "needs the models and ../shared";
    }
    EnginePoolOptions pool_options;
    HandEngineOptions engine;
    engine.model.delegate = CpuDelegate();
    pool_options.engines = {engine};
    auto pool = EnginePool::Create(pool_options);
    ASSERT_TRUE(pool.ok()) << pool.status().message();
    pool_ = *pool;
    // One folder per test: ctest runs them as processes side by side.
    folder_ = ::testing::TempDir() + "track_session_test_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(folder_);
  }

  // The short shared clip to `name`.jsonl in the test's folder.
  TrackVideoRequest Request(const std::string& name) const {
    TrackVideoRequest request;
    request.input = testing::SharedDir() + "/data/hands/videos/hand_enters_thumbs_up_face_01.mp4";
    request.landmarker = testing::VideoOptions();
    request.outputs = {{TrackFormat::kJsonLines, Output(name)}};
    return request;
  }
  std::string Output(const std::string& name) const { return folder_ + "/" + name + ".jsonl"; }

  std::shared_ptr<EnginePool> pool_;
  std::string folder_;
};

TEST_F(TrackVideoOpenedAhead, GivesWhatOpeningItAfterGivesWithTheWaitApart) {
  const VideoSummary after = TrackVideo(Request("after"), pool_);
  ASSERT_TRUE(after.error.empty()) << after.error;
  ASSERT_GT(after.frames, 0);
  EXPECT_EQ(after.engine_wait_seconds, 0);

  const TrackVideoRequest request = Request("ahead");
  OpenedVideo opened = OpenTrackVideo(request, 0);
  ASSERT_TRUE(opened.status.ok()) << opened.status.message();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // as if the engine were starting
  const VideoSummary ahead = TrackVideo(request, pool_, std::move(opened));
  ASSERT_TRUE(ahead.error.empty()) << ahead.error;
  EXPECT_EQ(ahead.frames, after.frames);
  EXPECT_EQ(ReadFile(Output("ahead")), ReadFile(Output("after")));
  EXPECT_GE(ahead.engine_wait_seconds, 0.09);
  EXPECT_LE(ahead.began_at_seconds, ahead.opened_at_seconds);
  // From its opening to its end: the wait, then the processing (which includes the opening).
  EXPECT_NEAR(ahead.ended_at_seconds - ahead.began_at_seconds,
              ahead.engine_wait_seconds + ahead.processing_seconds, 0.01);
}

TEST_F(TrackVideoOpenedAhead, ForAnotherGpuIsOpenedAgainOnTheEngines) {
  const TrackVideoRequest request = Request("other_gpu");
  // The engine runs on the CPU (device 0): a video opened for GPU 3 is not used.
  const VideoSummary summary = TrackVideo(request, pool_, OpenTrackVideo(request, 3));
  ASSERT_TRUE(summary.error.empty()) << summary.error;
  EXPECT_EQ(summary.engine_wait_seconds, 0);
  const VideoSummary after = TrackVideo(Request("after"), pool_);
  EXPECT_EQ(summary.frames, after.frames);
  EXPECT_EQ(ReadFile(Output("other_gpu")), ReadFile(Output("after")));
}

TEST_F(TrackVideoOpenedAhead, AVideoThatDoesNotOpenFailsWithItsName) {
  TrackVideoRequest request = Request("missing");
  request.input = folder_ + "/missing.mp4";
  OpenedVideo opened = OpenTrackVideo(request, 0);
  EXPECT_FALSE(opened.status.ok());
  EXPECT_EQ(opened.reader, nullptr);
  const VideoSummary summary = TrackVideo(request, pool_, std::move(opened));
  EXPECT_NE(summary.error.find("missing.mp4"), std::string::npos) << summary.error;
  EXPECT_EQ(summary.frames, 0);
}

}  // namespace
}  // namespace handtrack::cli

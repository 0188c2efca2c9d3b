// runtime::BatchingModel on a tiny hand-built graph (LOGISTIC of 8 values) on the
// reference backend: requests split over batches, the interpreter cap, batches
// formed from concurrent callers without waiting for the timeout, the run cap, and errors.
#include "runtime/batching_model.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>

#include "test_support.h"

namespace handtrack::runtime {
namespace {

constexpr int kValues = 8;

// in [1, 8] -> LOGISTIC -> out [1, 8]: WithBatch can batch it, every backend runs it.
std::shared_ptr<const model::Graph> LogisticGraph() {
  model::Graph g;
  g.name = "logistic8";
  model::Tensor in, out;
  in.name = "in";
  in.shape = {1, kValues};
  out.name = "out";
  out.shape = {1, kValues};
  g.tensors.push_back(in);
  g.tensors.push_back(out);
  model::Node node;
  node.op = model::OpType::kLogistic;
  node.inputs = {0};
  node.outputs = {1};
  g.nodes.push_back(node);
  g.inputs = {0};
  g.outputs = {1};
  return std::make_shared<const model::Graph>(std::move(g));
}

BatchingOptions Options(int max_batch, int batch_wait_us = 2000, int max_instances = 0) {
  BatchingOptions options;
  options.interpreter.delegate = "reference";
  options.max_batch = max_batch;
  options.batch_wait = std::chrono::microseconds(batch_wait_us);
  options.max_instances = max_instances;
  return options;
}

// Frame f of a caller `seed`: distinct values, so a frame given back to the wrong caller shows.
std::vector<float> Frames(int seed, int frames) {
  std::vector<float> values(static_cast<size_t>(frames) * kValues);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.01f * static_cast<float>((seed * 131 + i * 7) % 400) - 2;
  return values;
}

// Runs `frames` frames and checks every output against the same frames run one by one on a
// batch-1 interpreter (the reference is exact: same kernel, same arithmetic).
void RunAndCheck(BatchingModel& model, Interpreter& oracle, int seed, int frames) {
  const std::vector<float> in = Frames(seed, frames);
  std::vector<float> out(in.size(), -1.0f);
  const float* inputs[] = {in.data()};
  float* outputs[] = {out.data()};
  const Status status = model.Run(frames, inputs, outputs);
  ASSERT_TRUE(status.ok()) << status.message();
  for (int f = 0; f < frames; ++f) {
    std::copy_n(in.data() + f * kValues, kValues, oracle.input(0).data());
    ASSERT_TRUE(oracle.Run().ok());
    for (int v = 0; v < kValues; ++v) {
      ASSERT_EQ(out[f * kValues + v], oracle.output(0)[v])
          << "caller " << seed << " frame " << f << " value " << v;
    }
  }
}

// Fails the test (and stops the process: a hung thread cannot be joined) when `work`
// has not finished after `limit`: the batch policy must never hang.
void FinishesWithin(std::chrono::seconds limit, const std::function<void()>& work) {
  std::packaged_task<void()> task(work);
  std::future<void> done = task.get_future();
  std::thread thread(std::move(task));
  if (done.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "still running after " << limit.count() << " s: the batching policy hangs";
    std::fflush(nullptr);
    std::abort();
  }
  thread.join();
}

// Six callers at once, 30 requests each of 1 to 5 frames, every output checked; fails (and
// stops) when they have not finished within a minute.
void RunConcurrentCallers(BatchingModel& model) {
  FinishesWithin(std::chrono::seconds(60), [&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] {
        auto oracle = Interpreter::Create(LogisticGraph(), Options(1).interpreter);
        ASSERT_TRUE(oracle.ok());
        for (int round = 0; round < 30; ++round)
          RunAndCheck(model, **oracle, t * 100 + round, 1 + (t + round) % 5);
      });
    }
    for (std::thread& t : threads) t.join();
  });
}

TEST(BatchingModelTest, RejectsBadOptions) {
  SCOPED_TRACE("delegate " + Options(1).interpreter.delegate);
  auto group = std::make_shared<BatchingGroup>();
  for (int max_batch : {0, 3, 128}) {
    auto model = BatchingModel::Create(LogisticGraph(), Options(max_batch), group);
    ASSERT_FALSE(model.ok()) << max_batch;
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(model.status().message().find("max_batch"), std::string::npos) << model.status().message();
  }
  for (int batch_step : {-1, 3, 12, 128}) {
    BatchingOptions options = Options(16);
    options.batch_step = batch_step;
    auto model = BatchingModel::Create(LogisticGraph(), options, group);
    ASSERT_FALSE(model.ok()) << batch_step;
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(model.status().message().find("batch_step " + std::to_string(batch_step)), std::string::npos)
        << model.status().message();
  }
  auto model = BatchingModel::Create(LogisticGraph(), Options(2), group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  std::vector<float> in(kValues), out(kValues);
  const float* inputs[] = {in.data(), in.data()};
  float* outputs[] = {out.data()};
  EXPECT_EQ((*model)->Run(1, inputs, outputs).code(), StatusCode::kInvalidArgument);  // two inputs for one
}

// On a CPU plan nothing samples on a device: RunSampled asks the caller's host fill for
// each frame, mixed in batches with ordinary float requests, with the same outputs.
TEST(BatchingModelTest, SampledRequestsOnTheHostUseTheirFill) {
  constexpr int kStreams = 3;
  auto group = std::make_shared<BatchingGroup>();
  auto model = BatchingModel::Create(LogisticGraph(), Options(4, 10'000'000), group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_FALSE((*model)->CanSampleOnDevice());
  Result<std::unique_ptr<backend::ImageUploader>> uploader = (*model)->CreateImageUploader();
  ASSERT_TRUE(uploader.ok());
  EXPECT_EQ(*uploader, nullptr);
  auto oracle = Interpreter::Create(LogisticGraph(), Options(1).interpreter);
  ASSERT_TRUE(oracle.ok());
  std::vector<std::vector<float>> outs(kStreams);
  FinishesWithin(std::chrono::seconds(30), [&] {
    std::vector<std::thread> threads;
    for (int s = 0; s < kStreams; ++s) {
      threads.emplace_back([&, s] {
        BatchingGroup::Stream stream(group);
        BatchingGroup::Call call(stream);
        const std::vector<float> in = Frames(s, 2);
        outs[s].assign(in.size(), -1.0f);
        float* outputs[] = {outs[s].data()};
        Status status;
        if (s == 0) {  // an ordinary request in the same batches
          const float* inputs[] = {in.data()};
          status = (*model)->Run(2, inputs, outputs);
        } else {
          const std::vector<backend::ImageSampling> samplings(2);  // unused on the host
          const backend::HostInputFill fill = [&](int frame, float* out) {
            std::copy_n(in.data() + frame * kValues, kValues, out);
          };
          status = (*model)->RunSampled(2, samplings, fill, outputs);
        }
        EXPECT_TRUE(status.ok()) << status.message();
      });
    }
    for (std::thread& t : threads) t.join();
  });
  for (int s = 0; s < kStreams; ++s) {
    const std::vector<float> in = Frames(s, 2);
    for (int f = 0; f < 2; ++f) {
      std::copy_n(in.data() + f * kValues, kValues, (*oracle)->input(0).data());
      ASSERT_TRUE((*oracle)->Run().ok());
      for (int v = 0; v < kValues; ++v) {
        ASSERT_EQ(outs[s][f * kValues + v], (*oracle)->output(0)[v]) << "stream " << s << " frame " << f;
      }
    }
  }
  // A request whose counts do not agree is refused before anything runs.
  std::vector<float> out(kValues);
  float* outputs[] = {out.data()};
  const std::vector<backend::ImageSampling> one(1);
  EXPECT_EQ((*model)
                ->RunSampled(
                    2, one, [](int, float*) {}, outputs)
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(BatchingModelTest, RequestLargerThanMaxBatchRunsInSeveralBatches) {
  auto group = std::make_shared<BatchingGroup>();
  auto model = BatchingModel::Create(LogisticGraph(), Options(2), group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto oracle = Interpreter::Create(LogisticGraph(), Options(1).interpreter);
  ASSERT_TRUE(oracle.ok());
  RunAndCheck(**model, **oracle, 1, 5);  // 2 + 2 + 1
  const BatchingStats stats = (*model)->stats();
  EXPECT_EQ(stats.runs, 3);
  EXPECT_EQ(stats.frames, 5);
  EXPECT_EQ(stats.max_frames_per_run, 2);
  EXPECT_NE((*model)->DescribePlan().find("batching: up to 2 frames per run"), std::string::npos)
      << (*model)->DescribePlan();
}

TEST(BatchingModelTest, RunBatchSizeTakesPowersOfTwoUpToTheStepThenItsMultiples) {
  struct Case {
    int frames, max_batch, step, size;
  };
  const Case cases[] = {
      {1, 16, 0, 1},    {3, 16, 0, 4}, {9, 16, 0, 16}, {16, 16, 0, 16},  {17, 32, 0, 32},
      {3, 16, 4, 4},    {5, 16, 4, 8}, {9, 16, 4, 12}, {13, 16, 4, 16},  {9, 32, 8, 16},
      {17, 32, 8, 24},  {9, 16, 1, 9}, {1, 16, 1, 1},  {7, 16, 2, 8},    {5, 16, 2, 6},
      {33, 64, 64, 64}, {9, 8, 4, 8},  {5, 64, 16, 8}, {20, 64, 16, 32}, {31, 32, 2, 32},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RunBatchSize(c.frames, c.max_batch, c.step), c.size)
        << c.frames << " frames, max_batch " << c.max_batch << ", step " << c.step;
  }
}

// With a step, a run takes an interpreter of the size between powers of two that holds its frames
// (12 for 9 frames at step 4, where powers of two alone take 16), with the same outputs.
TEST(BatchingModelTest, AStepRunsFramesOnTheSmallerBatchSizesBetweenPowersOfTwo) {
  for (int step : {0, 4}) {
    SCOPED_TRACE("batch_step " + std::to_string(step));
    auto group = std::make_shared<BatchingGroup>();
    BatchingOptions options = Options(16);
    options.batch_step = step;
    auto model = BatchingModel::Create(LogisticGraph(), options, group);
    ASSERT_TRUE(model.ok()) << model.status().message();
    auto oracle = Interpreter::Create(LogisticGraph(), Options(1).interpreter);
    ASSERT_TRUE(oracle.ok());
    RunAndCheck(**model, **oracle, 3, 9);
    RunAndCheck(**model, **oracle, 4, 5);
    RunAndCheck(**model, **oracle, 5, 13);
    const BatchingStats stats = (*model)->stats();
    EXPECT_EQ(stats.runs, 3);
    EXPECT_EQ(stats.frames, 27);
    EXPECT_EQ(stats.slots, step == 4 ? 12 + 8 + 16 : 16 + 8 + 16);
    EXPECT_EQ(stats.instances, step == 4 ? 4 : 3) << "the batch-1 interpreter and one per size used";
    EXPECT_NE(
        (*model)->DescribePlan().find(step == 4 ? "(batch 1, 2, 4, 8, 12, 16)" : "(batch 1, 2, 4, 8, 16)"),
        std::string::npos)
        << (*model)->DescribePlan();
  }
}

// Prepare makes `copies` interpreters of every batch size runs can take (within the cap), at
// once on several threads; runs then make none, and results do not change.
TEST(BatchingModelTest, PrepareMakesEveryInterpreterThePolicyCanUse) {
  struct Case {
    int step, max_instances, copies, expected;
  };
  // Sizes with max_batch 16: step 0 -> 1, 2, 4, 8, 16; step 4 -> 1, 2, 4, 8, 12, 16.
  for (const Case c : {Case{0, 0, 1, 5}, Case{4, 0, 2, 12}, Case{4, 7, 2, 7}}) {
    SCOPED_TRACE("step " + std::to_string(c.step) + ", cap " + std::to_string(c.max_instances) + ", copies " +
                 std::to_string(c.copies));
    auto group = std::make_shared<BatchingGroup>();
    BatchingOptions options = Options(16, 2000, c.max_instances);
    options.batch_step = c.step;
    auto model = BatchingModel::Create(LogisticGraph(), options, group);
    ASSERT_TRUE(model.ok()) << model.status().message();
    const Status prepared = (*model)->Prepare(c.copies, 3);
    ASSERT_TRUE(prepared.ok()) << prepared.message();
    EXPECT_EQ((*model)->stats().instances, c.expected);
    EXPECT_EQ((*model)->stats().runs, 0) << "preparing is not a run";
    auto oracle = Interpreter::Create(LogisticGraph(), Options(1).interpreter);
    ASSERT_TRUE(oracle.ok());
    for (int frames : {1, 3, 9, 13, 16}) RunAndCheck(**model, **oracle, frames, frames);
    EXPECT_EQ((*model)->stats().instances, c.expected) << "runs found every size made";
    // Again: nothing more to make.
    ASSERT_TRUE((*model)->Prepare(c.copies, 3).ok());
    EXPECT_EQ((*model)->stats().instances, c.expected);
  }
}

TEST(BatchingModelTest, ConcurrentCallersWithEveryBatchSize) {
  auto group = std::make_shared<BatchingGroup>();
  BatchingOptions options = Options(8, 500);
  options.batch_step = 1;
  auto model = BatchingModel::Create(LogisticGraph(), options, group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  RunConcurrentCallers(**model);
  const BatchingStats stats = (*model)->stats();
  EXPECT_EQ(stats.slots, stats.frames) << "every run on an interpreter of exactly its frames";
}

// queue_seconds counts each frame's wait for its batch: here one stream submits while another
// registered one could but never does, so the frame waits out batch_wait (50 ms) first.
TEST(BatchingModelTest, StatsCountTheTimeFramesWaitForTheirRun) {
  auto group = std::make_shared<BatchingGroup>();
  auto model = BatchingModel::Create(LogisticGraph(), Options(4, 50'000), group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto oracle = Interpreter::Create(LogisticGraph(), Options(1).interpreter);
  ASSERT_TRUE(oracle.ok());
  BatchingGroup::Stream idle(group);
  BatchingGroup::Stream busy(group);
  {
    BatchingGroup::Call call(busy);
    RunAndCheck(**model, **oracle, 7, 1);
  }
  const BatchingStats stats = (*model)->stats();
  EXPECT_EQ(stats.frames, 1);
  EXPECT_GE(stats.queue_seconds, 0.049);
  EXPECT_LT(stats.queue_seconds, 30.0);
  EXPECT_GT(stats.run_seconds, 0.0);
  EXPECT_EQ(stats.device_seconds, 0.0) << "the reference backend has no device";
  EXPECT_EQ(stats.launch_seconds, 0.0);
  EXPECT_EQ(stats.wait_seconds, 0.0);
  EXPECT_GT(stats.copy_seconds, 0.0) << "the outputs handed back to the caller";
  EXPECT_LE(stats.copy_seconds, stats.run_seconds);
  // The caller's one call: its frame's wait and run, and its wake-up.
  EXPECT_EQ(stats.calls, 1);
  EXPECT_GE(stats.call_seconds, stats.queue_seconds + stats.run_seconds);
  EXPECT_LT(stats.call_seconds, 30.0);
}

// Every caller is a registered stream in a call: a batch runs as soon as all of them wait,
// long before the (10 s) timeout, and holds one frame of each.
TEST(BatchingModelTest, BatchRunsWhenEveryStreamWaits) {
  constexpr int kStreams = 4, kRounds = 25;
  auto group = std::make_shared<BatchingGroup>();
  auto model = BatchingModel::Create(LogisticGraph(), Options(4, 10'000'000), group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  FinishesWithin(std::chrono::seconds(60), [&] {
    std::vector<std::unique_ptr<BatchingGroup::Stream>> streams;
    for (int s = 0; s < kStreams; ++s) streams.push_back(std::make_unique<BatchingGroup::Stream>(group));
    std::vector<std::thread> threads;
    for (int s = 0; s < kStreams; ++s) {
      threads.emplace_back([&, s] {
        auto oracle = Interpreter::Create(LogisticGraph(), Options(1).interpreter);
        ASSERT_TRUE(oracle.ok());
        for (int round = 0; round < kRounds; ++round) {
          BatchingGroup::Call call(*streams[s]);
          RunAndCheck(**model, **oracle, s * 1000 + round, 1);
        }
        streams[s].reset();  // this stream ends: the others stop counting on it
      });
    }
    for (std::thread& t : threads) t.join();
  });
  const BatchingStats stats = (*model)->stats();
  EXPECT_EQ(stats.frames, kStreams * kRounds);
  EXPECT_EQ(stats.max_frames_per_run, kStreams);
}

// With at most `cap` interpreters, callers of every size share them (a batch that finds only
// a smaller idle interpreter runs fewer frames now); nothing hangs, every output is right.
TEST(BatchingModelTest, ConcurrentCallersWithinTheInstanceCap) {
  for (int cap : {1, 2, 0}) {
    SCOPED_TRACE("max_instances " + std::to_string(cap));
    auto group = std::make_shared<BatchingGroup>();
    auto model = BatchingModel::Create(LogisticGraph(), Options(4, 200, cap), group);
    ASSERT_TRUE(model.ok()) << model.status().message();
    RunConcurrentCallers(**model);
    const BatchingStats stats = (*model)->stats();
    if (cap > 0) {
      EXPECT_LE(stats.instances, cap);
    }
    EXPECT_LE(stats.max_frames_per_run, 4);
  }
}

// With max_concurrent_runs 1 and no wait, a frame that is ready while a run is in progress waits
// for it, and the frames queued meanwhile then run together: the first run is held open (its
// fault hook blocks) while three more callers queue one frame each.
TEST(BatchingModelTest, AtTheRunCapFramesQueuedMeanwhileRunTogether) {
  std::mutex mutex;
  std::condition_variable changed;
  bool first_run_started = false, release_first_run = false;
  BatchingOptions options = Options(4, 0);
  options.max_concurrent_runs = 1;
  options.interpreter.faults.set_hook([&](std::string_view, std::string_view stage) {
    if (stage != "run") return false;
    std::unique_lock lock(mutex);
    if (!first_run_started) {
      first_run_started = true;
      changed.notify_all();
      changed.wait(lock, [&] { return release_first_run; });
    }
    return false;
  });
  auto group = std::make_shared<BatchingGroup>();
  auto model = BatchingModel::Create(LogisticGraph(), options, group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  constexpr int kLateCallers = 3;
  std::atomic<int> late_callers_started = 0;
  FinishesWithin(std::chrono::seconds(60), [&] {
    std::vector<std::thread> threads;
    const auto caller = [&](int seed) {
      auto oracle = Interpreter::Create(LogisticGraph(), Options(1).interpreter);
      ASSERT_TRUE(oracle.ok());
      RunAndCheck(**model, **oracle, seed, 1);
    };
    threads.emplace_back(caller, 0);
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return first_run_started; });
    }
    for (int c = 1; c <= kLateCallers; ++c) {
      threads.emplace_back([&, c] {
        ++late_callers_started;
        caller(c);
      });
    }
    while (late_callers_started < kLateCallers) std::this_thread::yield();
    // Long enough for the started callers to queue their frames (a few microseconds each).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    {
      std::lock_guard lock(mutex);
      release_first_run = true;
    }
    changed.notify_all();
    for (std::thread& t : threads) t.join();
  });
  const BatchingStats stats = (*model)->stats();
  EXPECT_EQ(stats.frames, 1 + kLateCallers);
  EXPECT_EQ(stats.runs, 2) << "the late callers' frames should have run as one batch";
  EXPECT_EQ(stats.max_frames_per_run, kLateCallers);
  EXPECT_EQ(stats.max_concurrent_runs, 1);
}

// Under the cap, concurrent callers of every size never have more runs in progress than it.
TEST(BatchingModelTest, ConcurrentCallersWithinTheRunCap) {
  for (int cap : {1, 2}) {
    SCOPED_TRACE("max_concurrent_runs " + std::to_string(cap));
    BatchingOptions options = Options(4, 0);
    options.max_concurrent_runs = cap;
    auto group = std::make_shared<BatchingGroup>();
    auto model = BatchingModel::Create(LogisticGraph(), options, group);
    ASSERT_TRUE(model.ok()) << model.status().message();
    EXPECT_NE(
        (*model)->DescribePlan().find("at most " + std::to_string(cap) + " run(s) of this model at once"),
        std::string::npos)
        << (*model)->DescribePlan();
    RunConcurrentCallers(**model);
    const BatchingStats stats = (*model)->stats();
    EXPECT_GE(stats.max_concurrent_runs, 1);
    EXPECT_LE(stats.max_concurrent_runs, cap);
  }
  BatchingOptions negative = Options(4);
  negative.max_concurrent_runs = -1;
  auto rejected = BatchingModel::Create(LogisticGraph(), negative, std::make_shared<BatchingGroup>());
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("max_concurrent_runs"), std::string::npos);
}

TEST(BatchingModelTest, RunErrorReachesEveryCallerOfTheBatch) {
  BatchingOptions options = Options(4, 10'000'000);
  options.interpreter.faults = *backend::FaultInjection::Parse("reference:run");
  auto group = std::make_shared<BatchingGroup>();
  auto model = BatchingModel::Create(LogisticGraph(), options, group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  constexpr int kStreams = 3;
  std::vector<Status> statuses(kStreams);
  FinishesWithin(std::chrono::seconds(60), [&] {
    std::vector<std::unique_ptr<BatchingGroup::Stream>> streams;
    for (int s = 0; s < kStreams; ++s) streams.push_back(std::make_unique<BatchingGroup::Stream>(group));
    std::vector<std::thread> threads;
    for (int s = 0; s < kStreams; ++s) {
      threads.emplace_back([&, s] {
        {
          BatchingGroup::Call call(*streams[s]);
          std::vector<float> in = Frames(s, 2), out(in.size());
          const float* inputs[] = {in.data()};
          float* outputs[] = {out.data()};
          statuses[s] = (*model)->Run(2, inputs, outputs);
        }
        streams[s].reset();  // a stream that failed ends: nobody waits for it
      });
    }
    for (std::thread& t : threads) t.join();
  });
  for (const Status& status : statuses) {
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find("fault injected"), std::string::npos) << status.message();
  }
  EXPECT_GE((*model)->stats().runs, 1);
}

// keys [1, 4] -> RELU -> key [1, 4]; values [1, 8] -> LOGISTIC -> gated [1, 8]: 4 rows of 2.
std::shared_ptr<const model::Graph> KeyedRowsGraph() {
  model::Graph g;
  g.name = "keyed_rows";
  for (auto [name, size] : {std::pair{"keys", 4}, {"values", 8}, {"gated", 8}, {"key", 4}}) {
    model::Tensor t;
    t.name = name;
    t.shape = {1, size};
    g.tensors.push_back(t);
  }
  model::Node relu, logistic;
  relu.op = model::OpType::kRelu;
  relu.inputs = {0};
  relu.outputs = {3};
  logistic.op = model::OpType::kLogistic;
  logistic.inputs = {1};
  logistic.outputs = {2};
  g.nodes = {relu, logistic};
  g.inputs = {0, 1};
  g.outputs = {2, 3};
  return std::make_shared<const model::Graph>(std::move(g));
}

TEST(BatchingModelTest, AGatedOutputComesBackOnlyInTheRowsItsKeyPasses) {
  auto group = std::make_shared<BatchingGroup>();
  auto model = BatchingModel::Create(KeyedRowsGraph(), Options(4, 0), group);
  ASSERT_TRUE(model.ok()) << model.status().message();
  constexpr int kFrames = 3;
  // Frame f: keys f - 1, 0.5, 2, -3 (after RELU 0/0/1, 0.5, 2, 0); the gate passes keys >= 0.5.
  std::vector<float> keys, values;
  for (int f = 0; f < kFrames; ++f) {
    for (float key : {f - 1.0f, 0.5f, 2.0f, -3.0f}) keys.push_back(key);
    for (int v = 0; v < 8; ++v) values.push_back(0.25f * v - f);
  }
  const float* inputs[] = {keys.data(), values.data()};
  std::vector<float> gated(kFrames * 8, -7.0f), key(kFrames * 4, -7.0f);
  std::vector<float> whole(kFrames * 8, -7.0f), whole_key(kFrames * 4, -7.0f);
  float* gated_outputs[] = {gated.data(), key.data()};
  float* whole_outputs[] = {whole.data(), whole_key.data()};
  const OutputRowGate gate{/*key=*/1, /*gated=*/0, /*min_key=*/0.5f};
  ASSERT_TRUE((*model)->Run(kFrames, inputs, gated_outputs, &gate).ok());
  ASSERT_TRUE((*model)->Run(kFrames, inputs, whole_outputs).ok());
  EXPECT_EQ(key, whole_key);  // the key comes back whole
  for (int f = 0; f < kFrames; ++f) {
    for (int row = 0; row < 4; ++row) {
      const bool passes = whole_key[f * 4 + row] >= 0.5f;
      EXPECT_EQ(passes, row == 1 || row == 2 || (row == 0 && f == 2)) << "frame " << f << " row " << row;
      for (int v = 0; v < 2; ++v) {
        const int i = f * 8 + row * 2 + v;
        EXPECT_EQ(gated[i], passes ? whole[i] : -7.0f) << "frame " << f << " row " << row;
      }
    }
  }
  // Gates that do not name two outputs dividing into rows are refused before anything runs.
  for (const OutputRowGate& bad : {OutputRowGate{0, 0, 0.f}, OutputRowGate{0, 1, 0.f},
                                   OutputRowGate{2, 0, 0.f}, OutputRowGate{1, -1, 0.f}}) {
    const Status status = (*model)->Run(kFrames, inputs, gated_outputs, &bad);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad.key << " " << bad.gated;
    EXPECT_NE(status.message().find("output gate"), std::string::npos) << status.message();
  }
}

}  // namespace
}  // namespace handtrack::runtime

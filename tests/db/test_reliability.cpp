// Reliability: a writer killed with SIGKILL in the middle of a large transaction, and four
// processes writing one file at once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <regex>

#include "db/repository.hpp"
#include "db_test_util.hpp"

using namespace vqt;
using namespace vqt::db;
using namespace vqt::db::test;

namespace {

const GpuRecord kGpu{"GPU-rel-0", "NVIDIA H100 80GB HBM3", 9, 0, "550.54.15", "12.4", "h100-sxm"};

Problem the_problem() {
  Problem p;
  p.op = Op::gemv;
  p.vq = parse_vq("aqlm-3");
  p.n = 4096;
  p.k = 4096;
  return p;
}

Candidate candidate(int i) {
  Candidate c;
  c.n_smem = i;
  return c;
}

Measurement measurement(double t, std::size_t pad_bytes = 0) {
  Measurement m;
  m.median_s = t;
  m.min_s = t;
  m.max_s = t;
  m.rel_stdev = 0.001;
  m.count = 10;
  if (pad_bytes) m.counters_json = "{\"pad\":\"" + std::string(pad_bytes, 'x') + "\"}";
  return m;
}

std::string integrity(Connection& c) {
  Statement st(c, "PRAGMA integrity_check");
  return st.step() ? st.get_text(0) : "no result";
}

}  // namespace

TEST(Reliability, WriterKilledMidTransactionLeavesAConsistentResumableFile) {
  TempDir dir;
  const std::string f = dir.file("killed.db");
  { Repository init = Repository::open(f, Access::create); }
  constexpr int kBatch1 = 200, kTotal = 400;
  int pipe_fd[2];
  ASSERT_EQ(::pipe(pipe_fd), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fd[0]);
    try {
      Repository repo = Repository::open(f, Access::read_write);
      RunInfo run = Repository::this_process_run("tune", "killed writer");
      run.build_commit = "build-1";
      const auto run_id = repo.begin_run(run);
      const auto gpu = repo.upsert_gpu(kGpu);
      const auto pid = repo.upsert_problem(the_problem());
      {
        auto tx = repo.transaction();  // batch 1: committed
        for (int i = 0; i < kBatch1; ++i)
          repo.insert_measurement(run_id, gpu, pid, repo.upsert_candidate(candidate(i)),
                                  measurement(1e-5 + i * 1e-9));
        tx.commit();
      }
      auto tx = repo.transaction();  // batch 2: large (spills to the WAL), never committed
      for (int i = kBatch1;; ++i) {
        repo.insert_measurement(run_id, gpu, pid, repo.upsert_candidate(candidate(i)),
                                measurement(1e-5, 2000));
        if (i == kBatch1 + 3000 && ::write(pipe_fd[1], "k", 1) != 1) ::_exit(3);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      ::_exit(2);
    }
  }
  ::close(pipe_fd[1]);
  char byte = 0;
  ASSERT_EQ(::read(pipe_fd[0], &byte, 1), 1) << "the child died before the big transaction";
  ::usleep(20000);  // let it write on: the kill lands in the middle of inserts
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(pipe_fd[0]);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ASSERT_TRUE(exists(f + "-wal"));  // the kill left a WAL with uncommitted frames behind

  Repository repo = Repository::open(f, Access::read_write);
  EXPECT_EQ(integrity(repo.connection()), "ok");
  EXPECT_EQ(repo.connection().query_int("SELECT count(*) FROM measurements"), kBatch1);
  EXPECT_EQ(repo.connection().query_int("SELECT count(*) FROM runs WHERE finished_at IS NULL"), 1);
  // The next run resumes: it skips what was committed and measures the rest.
  RunInfo run = Repository::this_process_run("tune", "resumed");
  run.build_commit = "build-1";
  const auto run_id = repo.begin_run(run);
  const auto gpu = repo.upsert_gpu(kGpu);
  const auto pid = repo.upsert_problem(the_problem());
  int skipped = 0;
  auto tx = repo.transaction();
  for (int i = 0; i < kTotal; ++i) {
    if (repo.already_measured(kGpu.uuid, the_problem(), candidate(i), "build-1")) {
      ++skipped;
      continue;
    }
    repo.insert_measurement(run_id, gpu, pid, repo.upsert_candidate(candidate(i)),
                            measurement(2e-5));
  }
  repo.finish_run(run_id);
  tx.commit();
  EXPECT_EQ(skipped, kBatch1);
  EXPECT_EQ(repo.connection().query_int("SELECT count(*) FROM measurements"), kTotal);
  EXPECT_EQ(integrity(repo.connection()), "ok");
}

TEST(Reliability, FourProcessesWritingAtOnceLoseNothing) {
  TempDir dir;
  const std::string f = dir.file("shared.db");
  constexpr int kWriters = 4, kRows = 1000, kPerTx = 50;  // the writers also race to create f
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> kids;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      while (::read(gate[0], &c, 1) > 0) {  // start together when the parent closes the gate
      }
      try {
        Repository repo = Repository::open(f, Access::create);
        RunInfo run = Repository::this_process_run("tune", "writer " + std::to_string(w));
        const auto run_id = repo.begin_run(run);
        const auto gpu = repo.upsert_gpu(kGpu);
        const auto prob = repo.upsert_problem(the_problem());
        for (int i = 0; i < kRows; i += kPerTx) {
          auto tx = repo.transaction();
          for (int j = i; j < i + kPerTx; ++j)  // shared candidates: upserts race too
            repo.insert_measurement(run_id, gpu, prob, repo.upsert_candidate(candidate(j % 97)),
                                    measurement(1e-5 * (1 + w) + j * 1e-9));
          tx.commit();
        }
        repo.finish_run(run_id);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        ::_exit(1);
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed";
  }
  Repository repo = Repository::open(f, Access::read_only);
  auto& c = repo.connection();
  EXPECT_EQ(c.query_int("SELECT count(*) FROM measurements"), kWriters * kRows);
  EXPECT_EQ(c.query_int("SELECT count(DISTINCT run_id) FROM measurements"), kWriters);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL"), kWriters);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM candidates"), 97);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM gpus"), 1);
  EXPECT_EQ(integrity(c), "ok");
}

TEST(Reliability, RunInOneTransactionLeavesNoTraceWhenKilled) {
  TempDir dir;
  const std::string f = dir.file("whole.db");
  { Repository init = Repository::open(f, Access::create); }
  int pipe_fd[2];
  ASSERT_EQ(::pipe(pipe_fd), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fd[0]);
    try {
      Repository repo = Repository::open(f, Access::read_write);
      auto tx = repo.transaction();  // the whole run, rows and all, in one transaction
      RunInfo run = Repository::this_process_run("tune", "killed whole run");
      const auto run_id = repo.begin_run(run);
      const auto gpu = repo.upsert_gpu(kGpu);
      const auto pid = repo.upsert_problem(the_problem());
      for (int i = 0;; ++i) {
        repo.insert_measurement(run_id, gpu, pid, repo.upsert_candidate(candidate(i)),
                                measurement(1e-5, 2000));
        if (i == 2000 && ::write(pipe_fd[1], "k", 1) != 1) ::_exit(3);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      ::_exit(2);
    }
  }
  ::close(pipe_fd[1]);
  char byte = 0;
  ASSERT_EQ(::read(pipe_fd[0], &byte, 1), 1) << "the child died before the big transaction";
  ::usleep(10000);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(pipe_fd[0]);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  Repository repo = Repository::open(f, Access::read_write);
  EXPECT_EQ(integrity(repo.connection()), "ok");
  for (const char* t : {"runs", "gpus", "problems", "candidates", "measurements"})
    EXPECT_EQ(repo.connection().query_int(std::string("SELECT count(*) FROM ") + t), 0) << t;
}

TEST(Reliability, RunsRecordTheCommitTheBinaryWasBuiltFrom) {
  // Stamped at build time (cmake/build_commit.cmake): 12 hex digits, "+dirty" when tracked files
  // differed from that commit, or "unknown" outside a git checkout.
  const std::string c = Repository::this_process_run("tune", "stamp").build_commit;
  const std::regex stamp("^([0-9a-f]{12}(\\+dirty)?|unknown)$");
  EXPECT_TRUE(std::regex_match(c, stamp)) << c;
}

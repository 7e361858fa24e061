// Tests for RunProcess with real children (/bin/sh, env, cat): exit status, capture, bounds,
// environment, cwd, timeout and the process-group kill.
#include "handlers/subprocess.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

namespace edgegate::handlers {
namespace {

ProcessOptions Shell(std::string script) {
  ProcessOptions options;
  options.argv = {"/bin/sh", "-c", std::move(script)};
  return options;
}

ProcessResult RunOk(const ProcessOptions& options) {
  base::Result<ProcessResult> result = RunProcess(options);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? std::move(result).value() : ProcessResult{};
}

// True once `pid` has exited (or no longer exists); waits at most 10 s for the kernel to
// deliver a SIGKILL already sent.
bool ProcessEnds(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    return errno == ESRCH;
  }
  pollfd exited{fd, POLLIN, 0};
  bool ended = ::poll(&exited, 1, 10'000) == 1;
  ::close(fd);
  return ended;
}

TEST(RunProcessTest, ReportsTheExitCode) {
  ProcessResult result = RunOk(Shell("exit 3"));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.term_signal, 0);
  EXPECT_FALSE(result.timed_out);
  EXPECT_FALSE(result.success());
  EXPECT_TRUE(RunOk(Shell("true")).success());
}

TEST(RunProcessTest, ReportsTheTerminatingSignal) {
  ProcessResult result = RunOk(Shell("kill -TERM $$"));
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_FALSE(result.success());
}

TEST(RunProcessTest, CapturesStdoutAndStderrSeparately) {
  ProcessResult result = RunOk(Shell("echo out; echo err >&2"));
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
}

TEST(RunProcessTest, MergesStderrIntoStdoutInOrderWhenAsked) {
  ProcessOptions options = Shell("echo one; echo two >&2; echo three");
  options.merge_stderr = true;
  ProcessResult result = RunOk(options);
  EXPECT_EQ(result.out, "one\ntwo\nthree\n");
  EXPECT_EQ(result.err, "");
}

TEST(RunProcessTest, ChildSeesOnlyTheDefaultMinimalEnvironment) {
  ::setenv("EDGEGATE_TEST_SHOULD_NOT_LEAK", "1", 1);
  ProcessResult result = RunOk(ProcessOptions{.argv = {"/usr/bin/env"}});
  EXPECT_EQ(result.out, "PATH=/usr/bin:/bin\nLANG=C.UTF-8\n");
}

TEST(RunProcessTest, ExplicitEnvironmentReplacesTheDefault) {
  ProcessResult result = RunOk(ProcessOptions{.argv = {"/usr/bin/env"}, .env = {"FOO=bar"}});
  EXPECT_EQ(result.out, "FOO=bar\n");
}

TEST(RunProcessTest, FindsABareProgramNameOnTheChildsPath) {
  EXPECT_EQ(RunOk(ProcessOptions{.argv = {"echo", "hi"}}).out, "hi\n");
}

TEST(RunProcessTest, RunsInTheGivenDirectory) {
  EXPECT_EQ(RunOk(ProcessOptions{.argv = {"/bin/pwd"}, .cwd = "/"}).out, "/\n");
}

TEST(RunProcessTest, StdinIsEmpty) {
  ProcessResult result = RunOk(ProcessOptions{.argv = {"/bin/cat"}});
  EXPECT_TRUE(result.success());
  EXPECT_EQ(result.out, "");
}

TEST(RunProcessTest, KeepsAtMostTheConfiguredOutputAndSaysSo) {
  ProcessOptions options = Shell("head -c 1000000 /dev/zero; echo tail >&2");
  options.max_output_bytes = 10;
  ProcessResult result = RunOk(options);
  EXPECT_TRUE(result.success());  // the child was not blocked on a full pipe
  EXPECT_EQ(result.out.size(), 10u);
  EXPECT_TRUE(result.out_truncated);
  EXPECT_EQ(result.err, "tail\n");
  EXPECT_FALSE(result.err_truncated);
}

TEST(RunProcessTest, MissingProgramIsUnavailable) {
  base::Result<ProcessResult> result = RunProcess(ProcessOptions{.argv = {"/nonexistent/prog"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::Code::kUnavailable);
  EXPECT_NE(result.status().message().find("/nonexistent/prog"), std::string::npos);
}

TEST(RunProcessTest, MissingWorkingDirectoryIsUnavailable) {
  base::Result<ProcessResult> result =
      RunProcess(ProcessOptions{.argv = {"/bin/true"}, .cwd = "/nonexistent/dir"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::Code::kUnavailable);
}

TEST(RunProcessTest, EmptyArgvIsInvalid) {
  EXPECT_EQ(RunProcess(ProcessOptions{}).status().code(), base::Code::kInvalidArgument);
}

TEST(RunProcessTest, TimeoutKillsTheWholeProcessGroup) {
  ProcessOptions options = Shell("sleep 30 & echo $!; wait");
  options.timeout = std::chrono::milliseconds(300);
  ProcessResult result = RunOk(options);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  ASSERT_FALSE(result.out.empty());
  pid_t grandchild = static_cast<pid_t>(std::stol(result.out));
  EXPECT_TRUE(ProcessEnds(grandchild)) << "sleep " << grandchild << " survived the timeout";
}

TEST(RunProcessTest, ReturnsWhenTheChildExitsEvenIfADescendantHoldsThePipe) {
  ProcessOptions options = Shell("sleep 30 & echo $!; exit 0");
  options.timeout = std::chrono::seconds(20);
  ProcessResult result = RunOk(options);
  EXPECT_FALSE(result.timed_out);
  EXPECT_TRUE(result.success());
  ASSERT_FALSE(result.out.empty());
  EXPECT_TRUE(ProcessEnds(static_cast<pid_t>(std::stol(result.out))));
}

TEST(RunProcessTest, RunsConcurrentlyFromManyThreads) {
  constexpr int kThreads = 8;
  std::vector<std::string> outputs(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&outputs, i] {
      outputs[i] = RunOk(ProcessOptions{.argv = {"/bin/echo", std::to_string(i)}}).out;
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(outputs[i], std::to_string(i) + "\n");
  }
}

}  // namespace
}  // namespace edgegate::handlers

// balloon-swap A B: exchanges two directories in one atomic step (Linux renameat2 with
// RENAME_EXCHANGE), so that a corpus is replaced by its merged copy without a moment
// at which neither exists. ci/nightly merges into a copy, then swaps it in.

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: balloon-swap A B\n"
                 "Exchanges the directories (or files) A and B atomically; both must exist\n"
                 "on one filesystem. Exit 0 when done, 1 when the system refused.\n");
    return 2;
  }
  if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) {
    const int error = errno;
    std::fprintf(
        stderr, "balloon-swap: cannot exchange %s and %s: %s%s\n", argv[1], argv[2],
        std::strerror(error),
        error == EINVAL || error == ENOSYS ? " (this filesystem cannot exchange atomically)" : "");
    return 1;
  }
  return 0;
}

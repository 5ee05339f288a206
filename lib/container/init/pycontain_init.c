// pycontain-init: the init process of containers that request one
// (Compose's `init: true`, Docker's --init). It runs the command given
// after "--" as its child and forwards every signal it receives to that
// child. It reaps every process that is reparented to it, and exits with
// the command's status (128 + the signal when a signal ended it), as tini
// does.
//
// It is linked statically, because it is bind-mounted into images whose C
// library may differ from the host's.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// A handler is needed for signals to reach a PID namespace's init at all;
// they stay blocked and are taken with sigwaitinfo.
static void Ignore(int signal) { (void)signal; }

// Sets the disposition of every signal that can be caught.
static void SetHandlers(void (*handler)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = handler;
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) (void)sigaction(signal, &action, NULL);
  }
}

int main(int argc, char** argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "--") == 0) first = 2;
  if (first >= argc) {
    fprintf(stderr, "usage: pycontain-init [--] COMMAND [ARG...]\n");
    return 2;
  }

  sigset_t all;
  sigset_t original;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &original);
  SetHandlers(Ignore);

  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "pycontain-init: fork: %s\n", strerror(errno));
    return 1;
  }
  if (child == 0) {
    SetHandlers(SIG_DFL);
    sigprocmask(SIG_SETMASK, &original, NULL);
    execvp(argv[first], argv + first);
    fprintf(stderr, "pycontain-init: exec %s: %s\n", argv[first], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }

  while (1) {
    siginfo_t info;
    int signal = sigwaitinfo(&all, &info);
    if (signal < 0) continue;
    if (signal != SIGCHLD) {
      kill(child, signal);
      continue;
    }
    int status = 0;
    pid_t reaped;
    while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
      if (reaped != child) continue;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
}

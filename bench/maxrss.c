/*
 * maxrss.c -- runs a command and prints its peak resident set size in KiB
 * (ru_maxrss from wait4) on stdout; the command's own stdout goes to
 * /dev/null. Exits with the command's exit status.
 *
 * Why not measure from Python: Linux keeps a process's peak RSS across
 * exec, and a child forked (or vforked) from the benchmark's Python process
 * starts with that process's RSS, so small engines would all read as the
 * parent's size. This launcher is a few hundred KiB, so the figure it
 * reports is the command's own.
 *
 * Build: cc -O2 bench/maxrss.c -o maxrss
 * Usage: maxrss COMMAND [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: maxrss COMMAND [ARGS...]\n");
        return 2;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("maxrss: fork");
        return 2;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        execvp(argv[1], argv + 1);
        perror("maxrss: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("maxrss: wait4");
        return 2;
    }
    printf("%ld\n", usage.ru_maxrss);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

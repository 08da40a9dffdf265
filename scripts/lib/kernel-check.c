/*
 * Runs inside the kernels that scripts/check-probe-kernels boots, while the agent watches:
 * the calls whose records depend on how the compat probe reads the kernel there. Each is
 * checked in the agent's output by that script.
 *   - fork(2) itself (not clone): the record's syscall comes from the task's saved user
 *     registers, which kernels before 5.15 give no helper for;
 *   - execveat(2) in the child: reported as execve once it succeeded, as Falco's drivers
 *     report it (the kernel's saved number says execve by then), with the child's cgroup;
 *   - an open through "../" and a symlink after chdir: the path walk (a plain bounded loop
 *     where kernels before 5.17 have no bpf_loop); an open on another mount (/dev);
 *   - a failed relative open: the cwd walk;
 *   - a failed execve with arguments: the argv walk.
 * Static, so it runs in the bare initramfs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char *const no_env[] = { NULL };

int main(void)
{
    char *const marker[] = { "true", "peregrine-execveat-marker", NULL };
    char *const missing[] = { "missing-exe", "peregrine-argv-one", "peregrine-argv-two", NULL };
    long pid;

    mkdir("/tmp/kc", 0755);
    mkdir("/tmp/kc/sub", 0755);
    close(open("/tmp/kc/file", O_CREAT | O_WRONLY, 0644));
    symlink("/tmp/kc/file", "/tmp/kc/link");

    pid = syscall(SYS_fork);
    if (pid == 0) {
        syscall(SYS_execveat, AT_FDCWD, "/bin/busybox", marker, no_env, 0);
        _exit(127);
    }
    waitpid((pid_t)pid, NULL, 0);

    close(open("/dev/null", O_RDONLY));
    if (chdir("/tmp/kc/sub") != 0)
        return 1;
    close(open("../link", O_RDONLY));
    open("peregrine-missing-file", O_RDONLY);
    execve("/tmp/kc/missing-exe", missing, no_env);
    return 0;
}

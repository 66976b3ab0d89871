/**
 * burrow's default seccomp profile: the semantics of Docker's default profile
 * (moby's profiles/seccomp/default.json, 2025), written as our own data.
 *
 * - Anything not listed is refused with EPERM, including syscalls newer than
 *   this list; numbers newer than the syscall tables get ENOSYS (compile.ts) so
 *   libc falls back to the older call.
 * - The allow-list holds the ordinary syscalls of a process (files, memory,
 *   signals, time, sockets, IPC), grouped below by what they touch. The 32-bit
 *   and time64 variants are listed too: the i386 ABI on x86_64 hosts uses them.
 * - Refused unless a capability is given: what changes the kernel or other
 *   processes (mount, namespaces, modules, the clock, reboot, tracing, bpf,
 *   perf), as Docker gates them.
 * - Refused for everyone: the kernel keyring (keyctl, add_key, request_key: it
 *   is not namespaced, so a container would see and fill the host user's
 *   keys), userfaultfd (it holds kernel threads at a page fault, the core of
 *   many kernel exploits), io_uring (a large, often exploited kernel surface,
 *   dropped by Docker in 2024), and the other syscalls the allow-list leaves out.
 *
 * Differences from Docker's file, on purpose:
 * - Rules for architectures burrow does not compile for (s390x, ppc64le,
 *   riscv64, 32-bit arm) are left out.
 * - The socket family and personality checks compare the low 32 bits of the
 *   argument, because the kernel reads an `int`: a 64-bit comparison, as
 *   Docker's, lets `socket(0xffffffff00000028, ...)` pass as "not 40" and the
 *   kernel then opens an AF_VSOCK socket.
 *
 * A limit shared with Docker: on the i386 ABI, socketcall(2) passes socket()'s
 * arguments in memory, which a filter cannot read, so the family check holds
 * for the direct socket syscall only (every 64-bit program uses that one).
 */
import type { SeccompProfile, SeccompSyscallRule } from './types.js';

const ENOSYS = 38;
const EPERM = 1;
/** Address families refused by Docker: AF_ALG (kernel crypto API, a source of kernel bugs) and AF_VSOCK (sockets to the hypervisor). */
const AF_ALG = 38;
const AF_VSOCK = 40;
/** clone() flags that create namespaces: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
/** personality() values Docker allows: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (query). */
const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];
const LOW_32_BITS = 0xffffffff;

const FILES = [
  'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
  'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32', 'umask',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'flock',
  'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2',
  'lseek', '_llseek', 'readahead', 'sendfile', 'sendfile64', 'copy_file_range', 'splice', 'tee', 'vmsplice',
  'truncate', 'truncate64', 'ftruncate', 'ftruncate64', 'fallocate', 'fadvise64', 'fadvise64_64',
  'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range',
  'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx', 'statfs', 'statfs64',
  'fstatfs', 'fstatfs64', 'getdents', 'getdents64',
  'mkdir', 'mkdirat', 'mknod', 'mknodat', 'rmdir', 'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat',
  'rename', 'renameat', 'renameat2', 'readlink', 'readlinkat', 'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  'getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat', 'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat',
  'listxattr', 'llistxattr', 'flistxattr', 'listxattrat', 'removexattr', 'lremovexattr', 'fremovexattr', 'removexattrat',
  'name_to_handle_at', 'ioctl', 'cachestat', 'fanotify_mark', 'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
  'listmount', 'statmount',
];

const POLLING = [
  'poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6', 'pselect6_time64',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old', 'epoll_pwait', 'epoll_pwait2',
  'eventfd', 'eventfd2', 'pipe', 'pipe2',
];

const MEMORY = [
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'remap_file_pages', 'mseal',
  'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'membarrier', 'memfd_create', 'memfd_secret',
  'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'map_shadow_stack',
];

const PROCESSES = [
  'execve', 'execveat', 'fork', 'vfork', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
  'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32',
  'setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32',
  'setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32',
  'setgroups', 'setgroups32', 'capget', 'capset', 'prctl', 'seccomp', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  'getrlimit', 'setrlimit', 'ugetrlimit', 'prlimit64', 'getrusage', 'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set',
  'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam', 'sched_setparam',
  'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min',
  'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'getcpu',
  'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'futex', 'futex_time64', 'futex_waitv',
  'futex_wait', 'futex_wake', 'futex_requeue', 'get_thread_area', 'set_thread_area', 'restart_syscall',
  'pidfd_open', 'pidfd_send_signal', 'process_mrelease', 'uname', 'sysinfo', 'getrandom', 'uretprobe', 'riscv_hwprobe',
];

const SIGNALS = [
  'kill', 'tkill', 'tgkill', 'pause', 'sigaltstack', 'signalfd', 'signalfd4', 'sigprocmask', 'sigreturn',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'rt_sigreturn',
  'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64',
];

const TIME = [
  'time', 'times', 'gettimeofday', 'adjtimex', 'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64',
  'clock_gettime', 'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'nanosleep', 'alarm', 'getitimer', 'setitimer',
  'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64',
  'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64',
];

const NETWORK = [
  'accept', 'accept4', 'bind', 'connect', 'listen', 'shutdown', 'socketpair', 'socketcall',
  'getsockname', 'getpeername', 'getsockopt', 'setsockopt',
  'send', 'sendto', 'sendmsg', 'sendmmsg', 'recv', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvmmsg_time64',
];

const SYSV_AND_POSIX_IPC = [
  'ipc', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64', 'semctl',
  'shmget', 'shmat', 'shmdt', 'shmctl',
  'mq_open', 'mq_unlink', 'mq_notify', 'mq_getsetattr', 'mq_timedsend', 'mq_timedsend_time64', 'mq_timedreceive', 'mq_timedreceive_time64',
];

/** Syscalls a capability unlocks, as Docker gates them. */
const BY_CAPABILITY: Record<string, string[]> = {
  // Mounts, namespaces, host names, kernel log, quotas, fanotify, bpf and perf (before CAP_BPF/CAP_PERFMON existed).
  CAP_SYS_ADMIN: [
    'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie',
    'lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr', 'mount', 'mount_setattr', 'move_mount', 'open_tree',
    'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare',
  ],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

const withoutSysAdmin = { caps: ['CAP_SYS_ADMIN'] };
const lowBitsEqual = (value: number) => ({ index: 0, op: 'SCMP_CMP_MASKED_EQ' as const, value: LOW_32_BITS, valueTwo: value });

const rules: SeccompSyscallRule[] = [
  { names: [...FILES, ...POLLING, ...MEMORY, ...PROCESSES, ...SIGNALS, ...TIME, ...NETWORK, ...SYSV_AND_POSIX_IPC], action: 'SCMP_ACT_ALLOW' },
  {
    names: ['ptrace', 'process_vm_readv', 'process_vm_writev'],
    action: 'SCMP_ACT_ALLOW',
    comment: 'From 4.8 the kernel checks seccomp again after a tracer changes a syscall, so ptrace cannot be used to escape the filter.',
    includes: { minKernel: '4.8' },
  },
  { names: ['socket'], action: 'SCMP_ACT_ALLOW' },
  { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [lowBitsEqual(AF_ALG)], comment: 'AF_ALG' },
  { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [lowBitsEqual(AF_VSOCK)], comment: 'AF_VSOCK' },
  ...PERSONALITY_ALLOWED.map((persona): SeccompSyscallRule => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [lowBitsEqual(persona)] })),
  { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
  { names: ['modify_ldt'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
  ...Object.entries(BY_CAPABILITY).map(([cap, names]): SeccompSyscallRule => ({ names, action: 'SCMP_ACT_ALLOW', includes: { caps: [cap] } })),
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: CLONE_NAMESPACE_FLAGS, valueTwo: 0 }],
    comment: 'fork and threads, but no new namespace (a nested user namespace reaches kernel code that is otherwise root-only)',
    excludes: withoutSysAdmin,
  },
  {
    names: ['clone3'],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: ENOSYS,
    comment: 'its flags sit in memory a filter cannot read: "not implemented" makes libc fall back to clone, whose flags it can',
    excludes: withoutSysAdmin,
  },
];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) if (typeof child === 'object') deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The profile used when no --security-opt seccomp=... is given (frozen: it is shared). */
export const DEFAULT_SECCOMP_PROFILE: SeccompProfile = deepFreeze<SeccompProfile>({
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] },
  ],
  syscalls: rules,
});

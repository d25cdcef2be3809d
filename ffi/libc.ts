/**
 * The one libc symbols table. Every parameter carries its C type and name; numbers below were
 * verified against glibc headers on x86_64 Linux.
 */

/** Symbols used by the socket layer. `poll` is `nonblocking` so a wait never blocks the event loop. */
export const LIBC_SYMBOLS = {
  /** int *__errno_location(void): errno of the calling thread. */
  __errno_location: { parameters: [], result: "pointer" },
  /** char *strerror(int errnum) */
  strerror: {
    parameters: [
      "i32", // int errnum
    ],
    result: "pointer",
  },
  /** int socket(int domain, int type, int protocol) */
  socket: {
    parameters: [
      "i32", // int domain
      "i32", // int type
      "i32", // int protocol
    ],
    result: "i32",
  },
  /** int close(int fd) */
  close: {
    parameters: [
      "i32", // int fd
    ],
    result: "i32",
  },
  /** int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen) */
  setsockopt: {
    parameters: [
      "i32", // int sockfd
      "i32", // int level
      "i32", // int optname
      "buffer", // const void *optval
      "u32", // socklen_t optlen
    ],
    result: "i32",
  },
  /** int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen) */
  bind: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const struct sockaddr *addr
      "u32", // socklen_t addrlen
    ],
    result: "i32",
  },
  /** ssize_t sendto(int sockfd, const void *buf, size_t len, int flags, const struct sockaddr *dest_addr, socklen_t addrlen) */
  sendto: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const void *buf
      "usize", // size_t len
      "i32", // int flags
      "buffer", // const struct sockaddr *dest_addr
      "u32", // socklen_t addrlen
    ],
    result: "isize",
  },
  /** ssize_t recvfrom(int sockfd, void *buf, size_t len, int flags, struct sockaddr *src_addr, socklen_t *addrlen) */
  recvfrom: {
    parameters: [
      "i32", // int sockfd
      "buffer", // void *buf
      "usize", // size_t len
      "i32", // int flags
      "buffer", // struct sockaddr *src_addr (may be NULL)
      "buffer", // socklen_t *addrlen (may be NULL)
    ],
    result: "isize",
  },
  /** ssize_t sendmsg(int sockfd, const struct msghdr *msg, int flags) */
  sendmsg: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const struct msghdr *msg
      "i32", // int flags
    ],
    result: "isize",
  },
  /** ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags) */
  recvmsg: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct msghdr *msg
      "i32", // int flags
    ],
    result: "isize",
  },
  /** int ioctl(int fd, unsigned long request, void *argp): only pointer-argument requests are used. */
  ioctl: {
    parameters: [
      "i32", // int fd
      "u64", // unsigned long request
      "buffer", // struct ifreq *argp
    ],
    result: "i32",
  },
  /** unsigned int if_nametoindex(const char *ifname) */
  if_nametoindex: {
    parameters: [
      "buffer", // const char *ifname
    ],
    result: "u32",
  },
  /** char *if_indextoname(unsigned int ifindex, char *ifname): NULL when there is none */
  if_indextoname: {
    parameters: [
      "u32", // unsigned int ifindex
      "buffer", // char *ifname: IFNAMSIZ bytes
    ],
    result: "pointer",
  },
  /** int eventfd(unsigned int initval, int flags) */
  eventfd: {
    parameters: [
      "u32", // unsigned int initval
      "i32", // int flags
    ],
    result: "i32",
  },
  /** ssize_t read(int fd, void *buf, size_t count) */
  read: {
    parameters: [
      "i32", // int fd
      "buffer", // void *buf
      "usize", // size_t count
    ],
    result: "isize",
  },
  /** ssize_t write(int fd, const void *buf, size_t count) */
  write: {
    parameters: [
      "i32", // int fd
      "buffer", // const void *buf
      "usize", // size_t count
    ],
    result: "isize",
  },
  /**
   * int poll(struct pollfd *fds, nfds_t nfds, int timeout), run on a worker thread. errno is not
   * readable after it (another thread's), so a -1 result is simply retried.
   */
  poll: {
    parameters: [
      "buffer", // struct pollfd *fds
      "u64", // nfds_t nfds
      "i32", // int timeout (ms)
    ],
    result: "i32",
    nonblocking: true,
  },
  /** int timerfd_create(int clockid, int flags): the deadline of the shared wait (poller.ts). */
  timerfd_create: {
    parameters: [
      "i32", // int clockid
      "i32", // int flags
    ],
    result: "i32",
  },
  /** int timerfd_settime(int fd, int flags, const struct itimerspec *new, struct itimerspec *old) */
  timerfd_settime: {
    parameters: [
      "i32", // int fd
      "i32", // int flags
      "buffer", // const struct itimerspec *new_value
      "buffer", // struct itimerspec *old_value (may be NULL)
    ],
    result: "i32",
  },
  /** int setpriority(int which, id_t who, int prio): the nice value of one thread (who = tid). */
  setpriority: {
    parameters: [
      "i32", // int which (PRIO_PROCESS)
      "u32", // id_t who
      "i32", // int prio
    ],
    result: "i32",
  },
  /** int sched_setscheduler(pid_t pid, int policy, const struct sched_param *param), per thread */
  sched_setscheduler: {
    parameters: [
      "i32", // pid_t pid (a tid)
      "i32", // int policy
      "buffer", // const struct sched_param *param
    ],
    result: "i32",
  },
  /** int open(const char *pathname, int flags) */
  open: {
    parameters: [
      "buffer", // const char *pathname
      "i32", // int flags
    ],
    result: "i32",
  },
  /** int flock(int fd, int operation) */
  flock: {
    parameters: [
      "i32", // int fd
      "i32", // int operation
    ],
    result: "i32",
  },
  /** int clock_gettime(clockid_t clockid, struct timespec *tp) */
  clock_gettime: {
    parameters: [
      "i32", // clockid_t clockid
      "buffer", // struct timespec *tp
    ],
    result: "i32",
  },
  /** int setns(int fd, int nstype) */
  setns: {
    parameters: [
      "i32", // int fd
      "i32", // int nstype
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

type LibcSymbols = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];
type LibcName = keyof typeof LIBC_SYMBOLS;

let symbols: LibcSymbols | null = null;
/** every library handle opened, kept for the life of the process */
const handles: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[] = [];

function bind<N extends LibcName>(name: N): LibcSymbols[N] {
  const lib = Deno.dlopen("libc.so.6", { [name]: LIBC_SYMBOLS[name] } as Pick<
    typeof LIBC_SYMBOLS,
    N
  >);
  handles.push(lib);
  return lib.symbols[name] as LibcSymbols[N];
}

/**
 * The opened libc (`libc.so.6`), kept for the life of the process. Each symbol is bound on its
 * first use: binding costs 0.3-0.6 ms a symbol (7 ms for the table), and the daemon's way to
 * its first advert uses two thirds of them. errno's is bound at once: binding calls dlopen(),
 * which may change errno between a failed call and its read.
 */
export function libc(): LibcSymbols {
  if (symbols !== null) return symbols;
  const table = {} as LibcSymbols;
  for (const name of Object.keys(LIBC_SYMBOLS) as LibcName[]) {
    Object.defineProperty(table, name, {
      configurable: true,
      enumerable: true,
      get() {
        const fn = bind(name);
        Object.defineProperty(table, name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  void table.__errno_location;
  symbols = table;
  return table;
}

/** Linux x86_64 constants (from the glibc/kernel headers, checked with a C program). */
export const AF_INET = 2;
export const AF_INET6 = 10;
/** <netinet/in.h> IPv6 socket options (level IPPROTO_IPV6) */
export const IPPROTO_IPV6 = 41;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_ADD_MEMBERSHIP = 20;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_PKTINFO = 50;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;
export const IPV6_TCLASS = 67;
export const AF_PACKET = 17;
export const SOCK_RAW = 3;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_BINDTODEVICE = 25;
export const SO_RCVBUF = 8;
/** SO_RCVBUF past net.core.rmem_max (CAP_NET_ADMIN) */
export const SO_RCVBUFFORCE = 33;
export const SO_ATTACH_FILTER = 26;
/** SO_TIMESTAMPNS_OLD: recvmsg gets the arrival time (CLOCK_REALTIME timespec) as SCM_TIMESTAMPNS */
export const SO_TIMESTAMPNS = 35;
export const SCM_TIMESTAMPNS = 35;
export const IPPROTO_IP = 0;
export const IP_HDRINCL = 3;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const MSG_DONTWAIT = 0x40;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const TFD_NONBLOCK = 0o4000;
export const TFD_CLOEXEC = 0o2000000;
export const PRIO_PROCESS = 0;
export const SCHED_OTHER = 0;
export const SCHED_RR = 2;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCGIFADDR = 0x8915;
export const SIOCGIFHWADDR = 0x8927;
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const ETH_P_ALL = 0x0003;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const PACKET_OUTGOING = 4;
export const O_RDONLY = 0;
export const O_RDWR = 2;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNET = 0x40000000;

import { createRequire as __burrowCreateRequire } from 'node:module';
const require = __burrowCreateRequire(import.meta.url);

// src/rootfs/copy-worker.ts
import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  fstatSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync
} from "node:fs";

// src/userns/keep-id.ts
function keepIdCopyOwner(id, kept, count) {
  if (id < Math.min(kept, count)) return id + 1;
  if (id === kept) return 0;
  return id;
}
function needsEntry(text, name, id) {
  return !text.split("\n").some((line) => {
    const fields = line.split(":");
    return fields[0] === name || fields[2] !== void 0 && /^\d+$/.test(fields[2]) && Number(fields[2]) === id;
  });
}

// src/util/libc.ts
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
var loaded;
function loadKoffi() {
  const require2 = createRequire(import.meta.url);
  const arch = process.arch === "x64" || process.arch === "arm64" ? process.arch : void 0;
  if (process.platform === "linux" && arch !== void 0) {
    try {
      const packageDir = dirname(require2.resolve("koffi/package.json"));
      const { version } = require2(join(packageDir, "package.json"));
      const native = require2(join(packageDir, "build", "koffi", `linux_${arch}`, "koffi.node"));
      if (native.version === version) return native;
    } catch {
    }
  }
  return require2("koffi");
}
function libc() {
  if (loaded === void 0) {
    const koffi = loadKoffi();
    loaded = { koffi, lib: koffi.load("libc.so.6") };
  }
  return loaded;
}
function lazily(bind) {
  let bound;
  return () => {
    if (bound === void 0) {
      const { lib, koffi } = libc();
      bound = bind(lib, koffi);
    }
    return bound;
  };
}
function errno() {
  return libc().koffi.errno();
}
var flockFn = lazily((lib) => lib.func("int flock(int fd, int operation)"));
var mallocTrimFn = lazily((lib) => lib.func("int malloc_trim(size_t pad)"));
var spawnCalls = lazily((lib) => ({
  spawn: lib.func("int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attributes, const char **argv, const char **envp)"),
  actionsInit: lib.func("int posix_spawn_file_actions_init(void *actions)"),
  actionsDestroy: lib.func("int posix_spawn_file_actions_destroy(void *actions)"),
  addDup2: lib.func("int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)"),
  addOpen: lib.func("int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int flags, uint32_t mode)"),
  attrInit: lib.func("int posix_spawnattr_init(void *attributes)"),
  attrDestroy: lib.func("int posix_spawnattr_destroy(void *attributes)"),
  attrSetFlags: lib.func("int posix_spawnattr_setflags(void *attributes, short flags)"),
  attrSetSigDefault: lib.func("int posix_spawnattr_setsigdefault(void *attributes, const void *set)"),
  attrSetSigMask: lib.func("int posix_spawnattr_setsigmask(void *attributes, const void *set)"),
  pipe2: lib.func("int pipe2(void *fds, int flags)"),
  waitpid: lib.func("int waitpid(int pid, _Out_ int *status, int options)")
}));
var variadicSyscall = lazily((lib) => lib.func("long syscall(long number, ...)"));
var openptyFn = lazily((lib) => lib.func("int openpty(_Out_ int *amaster, _Out_ int *aslave, char *name, void *termp, void *winp)"));
var fcntlFn = lazily((lib) => lib.func("int fcntl(int fd, int cmd, ...)"));
var ioctlWinsizeFn = lazily((lib, koffi) => {
  const winsize = koffi.struct("burrow_winsize", { ws_row: "uint16", ws_col: "uint16", ws_xpixel: "uint16", ws_ypixel: "uint16" });
  return lib.func("ioctl", "int", ["int", "unsigned long", koffi.pointer(winsize)]);
});
var mountFn = lazily((lib) => lib.func("int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)"));
function mount(source, target2, type, flags2, data) {
  return mountFn()(source, target2, type, flags2, data);
}
var SYS_MOUNT_SETATTR = 442;
var mountSetattrFn = lazily((lib) => lib.func("syscall", "long", ["long", "int", "const char *", "uint", "const uint8_t *", "size_t"]));
function mountSetattr(dirfd, path, flags2, attr) {
  return mountSetattrFn()(SYS_MOUNT_SETATTR, dirfd, path, flags2, attr, attr.length);
}
var chrootFn = lazily((lib) => lib.func("int chroot(const char *path)"));
function chroot(path) {
  return chrootFn()(path);
}
var llistxattrFn = lazily((lib) => lib.func("long llistxattr(const char *path, _Out_ uint8_t *list, size_t size)"));
function llistxattr(path, list, size) {
  return llistxattrFn()(path, list, size);
}
var lgetxattrFn = lazily((lib) => lib.func("long lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)"));
function lgetxattr(path, name, value, size) {
  return lgetxattrFn()(path, name, value, size);
}
var lsetxattrFn = lazily((lib) => lib.func("int lsetxattr(const char *path, const char *name, const uint8_t *value, size_t size, int flags)"));
function lsetxattr(path, name, value, size, flags2) {
  return lsetxattrFn()(path, name, value, size, flags2);
}
var SYS_OPENAT2 = 437;
var openat2Fn = lazily((lib, koffi) => {
  const how = koffi.struct("burrow_open_how", { flags: "uint64", mode: "uint64", resolve: "uint64" });
  const call = lib.func("syscall", "long", ["long", "int", "const char *", koffi.pointer(how), "size_t"]);
  const size = koffi.sizeof(how);
  return (dirfd, path, value) => call(SYS_OPENAT2, dirfd, path, value, size);
});
var readlinkatFn = lazily((lib) => lib.func("long readlinkat(int fd, const char *path, _Out_ uint8_t *buf, size_t size)"));
var mkdiratFn = lazily((lib) => lib.func("int mkdirat(int fd, const char *path, uint32_t mode)"));
var symlinkatFn = lazily((lib) => lib.func("int symlinkat(const char *target, int fd, const char *path)"));
var fchownatFn = lazily((lib) => lib.func("int fchownat(int fd, const char *path, uint32_t owner, uint32_t group, int flags)"));

// src/rootfs/copy-worker.ts
var MS_NOSUID = 2;
var MS_NODEV = 4;
var MS_BIND = 4096;
var AT_FDCWD = -100;
var MOUNT_ATTR_RDONLY = 1;
var MOUNT_ATTR_NOSUID = 2;
var MOUNT_ATTR_NODEV = 4;
function fail(message) {
  process.stderr.write(`${message}
`);
  process.exit(1);
}
var argv = process.argv.slice(2);
var flags = /* @__PURE__ */ new Map();
while (argv[0] !== void 0 && ["--keep-id", "--passwd", "--group"].includes(argv[0]) && argv[1] !== void 0) {
  const [flag, value] = argv.splice(0, 2);
  flags.set(flag, value);
}
var keepId = flags.get("--keep-id")?.split(":").map(Number);
var [staging, target, ...layers] = argv;
if (staging === void 0 || target === void 0 || keepId !== void 0 && (keepId.length !== 4 || keepId.some((id) => !Number.isInteger(id) || id < 0)) || keepId === void 0 && flags.size > 0 || [flags.get("--passwd"), flags.get("--group")].some((line) => line?.includes("\n"))) {
  fail("usage: copy-worker [--keep-id UID:GID:UIDS:GIDS [--passwd LINE --group LINE]] STAGING TARGET LAYER…");
}
function owner(stat) {
  if (keepId === void 0) return { uid: stat.uid, gid: stat.gid };
  const [uid, gid, uids, gids] = keepId;
  return { uid: keepIdCopyOwner(stat.uid, uid, uids), gid: keepIdCopyOwner(stat.gid, gid, gids) };
}
if (mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") !== 0) fail(`cannot mount a tmpfs on ${staging} (errno ${errno()})`);
mkdirSync(`${staging}/target`);
if (mount(target, `${staging}/target`, null, MS_BIND, null) !== 0) fail(`cannot bind ${target} (errno ${errno()})`);
layers.forEach((layer, index) => {
  const at = `${staging}/${index}`;
  mkdirSync(at);
  if (mount(layer, at, null, MS_BIND, null) !== 0) fail(`cannot bind ${layer} (errno ${errno()})`);
  const attr = Buffer.alloc(32);
  attr.writeBigUInt64LE(BigInt(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV), 0);
  if (mountSetattr(AT_FDCWD, at, 0, attr) !== 0 && errno() !== 38) fail(`cannot make ${layer} read-only (errno ${errno()})`);
});
process.chdir(staging);
if (chroot(".") !== 0) fail(`chroot ${staging} failed (errno ${errno()})`);
process.chdir("/");
var xattrList = Buffer.alloc(65536);
var xattrValue = Buffer.alloc(65536);
var OPAQUE = "user.overlay.opaque";
function isWhiteout(stat) {
  return stat.isCharacterDevice() && stat.rdev === 0;
}
function isOpaque(path) {
  return lgetxattr(path, OPAQUE, xattrValue, xattrValue.length) === 1 && xattrValue[0] === 121;
}
function copyXattrs(from, to) {
  const size = llistxattr(from, xattrList, xattrList.length);
  if (size <= 0) return;
  for (const name of xattrList.subarray(0, size).toString("utf8").split("\0")) {
    if (!name.startsWith("user.") || name.startsWith("user.overlay.")) continue;
    const length = lgetxattr(from, name, xattrValue, xattrValue.length);
    if (length < 0) continue;
    if (lsetxattr(to, name, xattrValue, length, 0) !== 0) throw new Error(`cannot set ${name} on ${to} (errno ${errno()})`);
  }
}
var ROOT_OWNED = { uid: 0, gid: 0 };
function copyMetadata(from, to, stat, made, current = ROOT_OWNED) {
  const wanted = owner(stat);
  const chowned = wanted.uid !== current.uid || wanted.gid !== current.gid;
  if (chowned) lchownSync(to, wanted.uid, wanted.gid);
  if (!stat.isSymbolicLink() && (made === "made" || chowned || (stat.mode & 3584) !== 0)) chmodSync(to, stat.mode & 4095);
  copyXattrs(from, to);
  lutimesSync(to, stat.atimeMs / 1e3, stat.mtimeMs / 1e3);
}
function remove(path, stat) {
  if (stat.isDirectory()) rmSync(path, { recursive: true, force: true });
  else unlinkSync(path);
}
function mergeDirectory(from, to, links) {
  for (const name of readdirSync(from)) {
    const source = `${from}/${name}`;
    const destination = `${to}/${name}`;
    const stat = lstatSync(source);
    const existing = lstatSync(destination, { throwIfNoEntry: false });
    if (isWhiteout(stat)) {
      if (existing !== void 0) remove(destination, existing);
      continue;
    }
    if (stat.isDirectory()) {
      const keep = existing !== void 0 && existing.isDirectory() && !isOpaque(source);
      if (!keep) {
        if (existing !== void 0) remove(destination, existing);
        mkdirSync(destination, { mode: 448 });
      }
      mergeDirectory(source, destination, links);
      copyMetadata(source, destination, stat, "made", keep ? existing : ROOT_OWNED);
      continue;
    }
    if (existing !== void 0) remove(destination, existing);
    if (stat.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), destination);
      copyMetadata(source, destination, stat, "made");
    } else if (stat.isFile()) {
      const first = stat.nlink > 1 ? links.get(stat.ino) : void 0;
      if (first !== void 0) {
        linkSync(first, destination);
        continue;
      }
      copyFileSync(source, destination, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      copyMetadata(source, destination, stat, "copied");
      if (stat.nlink > 1) links.set(stat.ino, destination);
    }
  }
}
var ACCOUNT_FILE_MAX_BYTES = 4 * 1024 * 1024;
function addAccountLine(file, line) {
  if (lstatSync("/target/etc", { throwIfNoEntry: false })?.isDirectory() !== true) return;
  let fd;
  try {
    fd = openSync(`/target/etc/${file}`, constants.O_RDWR | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > ACCOUNT_FILE_MAX_BYTES) return;
    const text = readFileSync(fd, "utf8");
    const fields = line.split(":");
    if (!needsEntry(text, fields[0], Number(fields[2]))) return;
    writeSync(fd, `${text === "" || text.endsWith("\n") ? "" : "\n"}${line}
`);
  } finally {
    closeSync(fd);
  }
}
var inImage = (text) => text.replace(/'\/(?:target|\d+)(\/[^']*)?'/g, (_match, rest) => `'${rest ?? "/"}'`);
try {
  for (const name of readdirSync("/target")) rmSync(`/target/${name}`, { recursive: true, force: true });
  layers.forEach((_layer, index) => {
    const root = `/${index}`;
    mergeDirectory(root, "/target", /* @__PURE__ */ new Map());
    copyMetadata(root, "/target", lstatSync(root), "made", lstatSync("/target"));
  });
  const passwd = flags.get("--passwd");
  const group = flags.get("--group");
  if (passwd !== void 0) addAccountLine("passwd", passwd);
  if (group !== void 0) addAccountLine("group", group);
} catch (error) {
  fail(inImage(error.message));
}
process.exit(0);
